//! BOLT 3 scripts: the funding 2-of-2, `to_local`, `to_remote`, the offered
//! and received HTLC outputs and the output of the second-stage HTLC
//! transactions.
//!
//! Every function here takes keys that are already derived for the
//! commitment at hand (the `keys` module derives them from basepoints and
//! per-commitment points). Keeping derivation out of this module means a
//! script is a pure function of the keys the spec names, which is what the
//! Appendix C vectors pin down and what both peers must agree on byte for
//! byte: a single differing byte changes the P2WSH and invalidates every
//! signature exchanged for it.
//!
//! The templates are those of the channel type `static_remotekey` without
//! anchors; anchor channels add a CSV of 1 to the HTLC scripts and change
//! `to_remote`, and will get their own variants chosen by
//! [`crate::commitment::CommitmentFormat`].

use bitcoin::hashes::{hash160, ripemd160, Hash};
use bitcoin::opcodes::all::{
    OP_CHECKMULTISIG, OP_CHECKSIG, OP_CLTV, OP_CSV, OP_DROP, OP_DUP, OP_ELSE, OP_ENDIF, OP_EQUAL,
    OP_EQUALVERIFY, OP_HASH160, OP_IF, OP_NOTIF, OP_PUSHNUM_2, OP_SIZE, OP_SWAP,
};
use bitcoin::script::Builder;
use bitcoin::secp256k1::PublicKey;
use bitcoin::{ScriptBuf, WPubkeyHash};

/// The funding output's witness script, `2 <pubkey1> <pubkey2> 2
/// OP_CHECKMULTISIG`, with the two funding keys in lexicographic order of
/// their compressed encodings.
///
/// The order is fixed by the keys rather than by who opened the channel so
/// that both peers (and anyone auditing the chain) derive the same script
/// from the same pair of keys without further agreement.
pub fn funding_redeem_script(a: &PublicKey, b: &PublicKey) -> ScriptBuf {
    let (first, second) = sorted_funding_keys(a, b);
    Builder::new()
        .push_opcode(OP_PUSHNUM_2)
        .push_slice(first.serialize())
        .push_slice(second.serialize())
        .push_opcode(OP_PUSHNUM_2)
        .push_opcode(OP_CHECKMULTISIG)
        .into_script()
}

/// The funding output's `scriptPubKey`: P2WSH of
/// [`funding_redeem_script`]. This is what the funding transaction pays to
/// and what an observer checks on chain.
pub fn funding_script_pubkey(a: &PublicKey, b: &PublicKey) -> ScriptBuf {
    ScriptBuf::new_p2wsh(&funding_redeem_script(a, b).wscript_hash())
}

/// The two funding keys as `(pubkey1, pubkey2)` of the 2-of-2: the
/// lexicographically lesser compressed key first. The witness that spends
/// the funding output must give the signatures in this same order
/// (`OP_CHECKMULTISIG` matches signatures to keys in order).
pub fn sorted_funding_keys<'k>(
    a: &'k PublicKey,
    b: &'k PublicKey,
) -> (&'k PublicKey, &'k PublicKey) {
    if a.serialize() <= b.serialize() {
        (a, b)
    } else {
        (b, a)
    }
}

/// The `to_local` witness script:
///
/// ```text
/// OP_IF <revocationpubkey>
/// OP_ELSE <to_self_delay> OP_CHECKSEQUENCEVERIFY OP_DROP <local_delayedpubkey>
/// OP_ENDIF OP_CHECKSIG
/// ```
///
/// The owner of the commitment can only take these funds after
/// `to_self_delay` blocks, which leaves the peer that window to use the
/// revocation key if this commitment was revoked.
pub fn to_local_script(
    revocation_pubkey: &PublicKey,
    to_self_delay: u16,
    local_delayed_pubkey: &PublicKey,
) -> ScriptBuf {
    Builder::new()
        .push_opcode(OP_IF)
        .push_slice(revocation_pubkey.serialize())
        .push_opcode(OP_ELSE)
        .push_int(i64::from(to_self_delay))
        .push_opcode(OP_CSV)
        .push_opcode(OP_DROP)
        .push_slice(local_delayed_pubkey.serialize())
        .push_opcode(OP_ENDIF)
        .push_opcode(OP_CHECKSIG)
        .into_script()
}

/// The `to_remote` output's `scriptPubKey` under `option_static_remotekey`
/// (without anchors): a plain P2WPKH to the peer's payment key.
///
/// With static_remotekey that key is the peer's `payment_basepoint` itself,
/// not tweaked per commitment, so a peer that lost its state can still
/// find and spend its funds after we force-close.
pub fn to_remote_script_pubkey(remote_payment_pubkey: &PublicKey) -> ScriptBuf {
    ScriptBuf::new_p2wpkh(&WPubkeyHash::hash(&remote_payment_pubkey.serialize()))
}

/// The witness script of an HTLC the commitment's owner offered (no
/// anchors):
///
/// ```text
/// OP_DUP OP_HASH160 <RIPEMD160(SHA256(revocationpubkey))> OP_EQUAL
/// OP_IF OP_CHECKSIG
/// OP_ELSE <remote_htlcpubkey> OP_SWAP OP_SIZE 32 OP_EQUAL
///     OP_NOTIF OP_DROP 2 OP_SWAP <local_htlcpubkey> 2 OP_CHECKMULTISIG
///     OP_ELSE OP_HASH160 <RIPEMD160(payment_hash)> OP_EQUALVERIFY OP_CHECKSIG
///     OP_ENDIF
/// OP_ENDIF
/// ```
///
/// The timeout branch needs both HTLC keys, so the owner can only time the
/// HTLC out through the pre-signed HTLC-timeout transaction, whose
/// locktime is the `cltv_expiry` and whose output is delayed like
/// `to_local`.
pub fn offered_htlc_script(
    revocation_pubkey: &PublicKey,
    local_htlc_pubkey: &PublicKey,
    remote_htlc_pubkey: &PublicKey,
    payment_hash: &[u8; 32],
) -> ScriptBuf {
    htlc_script_start(revocation_pubkey, remote_htlc_pubkey)
        .push_opcode(OP_NOTIF)
        .push_opcode(OP_DROP)
        .push_int(2)
        .push_opcode(OP_SWAP)
        .push_slice(local_htlc_pubkey.serialize())
        .push_int(2)
        .push_opcode(OP_CHECKMULTISIG)
        .push_opcode(OP_ELSE)
        .push_opcode(OP_HASH160)
        .push_slice(ripemd160::Hash::hash(payment_hash).to_byte_array())
        .push_opcode(OP_EQUALVERIFY)
        .push_opcode(OP_CHECKSIG)
        .push_opcode(OP_ENDIF)
        .push_opcode(OP_ENDIF)
        .into_script()
}

/// The part both HTLC scripts share: the revocation branch, then the
/// peer's HTLC key and the test of whether the witness item is a preimage.
fn htlc_script_start(revocation_pubkey: &PublicKey, remote_htlc_pubkey: &PublicKey) -> Builder {
    Builder::new()
        .push_opcode(OP_DUP)
        .push_opcode(OP_HASH160)
        .push_slice(hash160::Hash::hash(&revocation_pubkey.serialize()).to_byte_array())
        .push_opcode(OP_EQUAL)
        .push_opcode(OP_IF)
        .push_opcode(OP_CHECKSIG)
        .push_opcode(OP_ELSE)
        .push_slice(remote_htlc_pubkey.serialize())
        .push_opcode(OP_SWAP)
        .push_opcode(OP_SIZE)
        .push_int(32)
        .push_opcode(OP_EQUAL)
}

/// The witness script of an HTLC the commitment's owner received (no
/// anchors):
///
/// ```text
/// OP_DUP OP_HASH160 <RIPEMD160(SHA256(revocationpubkey))> OP_EQUAL
/// OP_IF OP_CHECKSIG
/// OP_ELSE <remote_htlcpubkey> OP_SWAP OP_SIZE 32 OP_EQUAL
///     OP_IF OP_HASH160 <RIPEMD160(payment_hash)> OP_EQUALVERIFY
///           2 OP_SWAP <local_htlcpubkey> 2 OP_CHECKMULTISIG
///     OP_ELSE OP_DROP <cltv_expiry> OP_CHECKLOCKTIMEVERIFY OP_DROP OP_CHECKSIG
///     OP_ENDIF
/// OP_ENDIF
/// ```
///
/// The owner claims with the preimage only through the pre-signed
/// HTLC-success transaction (both HTLC keys), so that claim is delayed by
/// `to_self_delay` too; the peer takes the funds back after `cltv_expiry`.
pub fn received_htlc_script(
    revocation_pubkey: &PublicKey,
    local_htlc_pubkey: &PublicKey,
    remote_htlc_pubkey: &PublicKey,
    payment_hash: &[u8; 32],
    cltv_expiry: u32,
) -> ScriptBuf {
    htlc_script_start(revocation_pubkey, remote_htlc_pubkey)
        .push_opcode(OP_IF)
        .push_opcode(OP_HASH160)
        .push_slice(ripemd160::Hash::hash(payment_hash).to_byte_array())
        .push_opcode(OP_EQUALVERIFY)
        .push_int(2)
        .push_opcode(OP_SWAP)
        .push_slice(local_htlc_pubkey.serialize())
        .push_int(2)
        .push_opcode(OP_CHECKMULTISIG)
        .push_opcode(OP_ELSE)
        .push_opcode(OP_DROP)
        .push_int(i64::from(cltv_expiry))
        .push_opcode(OP_CLTV)
        .push_opcode(OP_DROP)
        .push_opcode(OP_CHECKSIG)
        .push_opcode(OP_ENDIF)
        .push_opcode(OP_ENDIF)
        .into_script()
}

/// The witness script of the single output of an HTLC-timeout or
/// HTLC-success transaction. It is the `to_local` template: funds that
/// reach the commitment's owner through a second-stage transaction are
/// delayed and revocable exactly like its main output.
pub fn htlc_tx_output_script(
    revocation_pubkey: &PublicKey,
    to_self_delay: u16,
    local_delayed_pubkey: &PublicKey,
) -> ScriptBuf {
    to_local_script(revocation_pubkey, to_self_delay, local_delayed_pubkey)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pk(hex_str: &str) -> PublicKey {
        hex_str.parse().unwrap()
    }

    #[test]
    fn funding_keys_are_sorted() {
        let a = pk("030e9f7b623d2ccc7c9bd44d66d5ce21ce504c0acf6385a132cec6d3c39fa711c1");
        let b = pk("023da092f6980e58d2c037173180e9a465476026ee50f96695963e8efe436f54eb");
        assert_eq!(funding_redeem_script(&a, &b), funding_redeem_script(&b, &a));
        assert_eq!(sorted_funding_keys(&a, &b).0, &b);
    }

    #[test]
    fn to_local_matches_appendix_c() {
        let script = to_local_script(
            &pk("0212a140cd0c6539d07cd08dfe09984dec3251ea808b892efeac3ede9402bf2b19"),
            144,
            &pk("03fd5960528dc152014952efdb702a88f71e3c1653b2314431701ec77e57fde83c"),
        );
        assert_eq!(
            hex::encode(script.as_bytes()),
            "63210212a140cd0c6539d07cd08dfe09984dec3251ea808b892efeac3ede9402bf2b1967029000b2752103fd5960528dc152014952efdb702a88f71e3c1653b2314431701ec77e57fde83c68ac"
        );
    }
}
