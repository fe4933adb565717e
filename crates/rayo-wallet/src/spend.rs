//! Building and signing transactions: size estimation, coin selection,
//! change, and the three signers (P2WPKH, P2SH-P2WPKH, BIP86 key path).
//!
//! Coin selection is **largest first** (lnd's default strategy): spendable
//! coins sorted by value, added until they pay the outputs and the fee.
//! It spends few inputs (low fees now), is deterministic (the same wallet
//! state builds the same transaction, which the tests and the node's
//! "build, lock, sign" flow rely on), and needs no randomness, which this
//! crate does not have. Branch-and-bound would avoid change more often but
//! needs a random fallback to be private; it can come later behind the same
//! API.
//!
//! Change goes last, after the recipients in their given order, so a
//! funding output's index is its position among the recipients. Change
//! below its script's dust limit is left to the fee.
//!
//! Transactions are version 2 with nLockTime at the wallet's tip height
//! (Core's anti-fee-sniping) and every input signals replaceability
//! (nSequence 0xfffffffd).

use bitcoin::blockdata::script::PushBytesBuf;
use bitcoin::ecdsa;
use bitcoin::hashes::Hash;
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::script::Builder;
use bitcoin::secp256k1::{Message, PublicKey};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot;
use bitcoin::{
    absolute, transaction, Amount, FeeRate, OutPoint, ScriptBuf, Sequence, Transaction, TxIn,
    TxOut, VarInt, Weight, Witness,
};

use crate::error::WalletError;
use crate::keys::{address_for, p2wpkh_script, AddressType};
use crate::record::WalletRecord;
use crate::wallet::{Derivation, Wallet};

/// Where a transaction's value goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipients {
    /// Pay these amounts to these scripts (in this order); change, if any,
    /// goes to a new change address of the wallet.
    Pay(Vec<(ScriptBuf, Amount)>),
    /// Send everything selected, less the fee, to this script; no change.
    SweepAll(ScriptBuf),
}

/// An input of an [`UnsignedSpend`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendInput {
    /// The outpoint spent.
    pub outpoint: OutPoint,
    /// The output spent (needed by every segwit sighash).
    pub prevout: TxOut,
    /// Where its key comes from.
    pub derivation: Derivation,
}

/// The change output of an [`UnsignedSpend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeOutput {
    /// Its index in the transaction's outputs (always the last).
    pub vout: u32,
    /// Its value.
    pub amount: Amount,
    /// Its key's derivation.
    pub derivation: Derivation,
}

/// A transaction the wallet built and has not signed.
///
/// Channel funding: build one paying the funding script, [`Wallet::lock_inputs`]
/// (persist the records), negotiate, [`Wallet::sign`], broadcast and hand it
/// to [`Wallet::apply_unconfirmed`]; on failure [`Wallet::unlock_inputs`].
/// Nothing is broadcast by building or signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsignedSpend {
    /// The transaction, with empty script_sigs and witnesses.
    pub tx: Transaction,
    /// Its inputs, in the transaction's order, with the outputs they spend.
    pub inputs: Vec<SpendInput>,
    /// The fee it pays.
    pub fee: Amount,
    /// Its change output, if any.
    pub change: Option<ChangeOutput>,
    /// Its estimated weight once signed (an upper bound: signatures are
    /// counted at their largest).
    pub weight: Weight,
    /// What to persist: the change index it revealed, if it has change.
    pub records: Vec<WalletRecord>,
}

impl UnsignedSpend {
    /// The estimated virtual size once signed.
    pub fn vsize(&self) -> u64 {
        self.weight.to_vbytes_ceil()
    }
}

/// The weight of a signed input of `kind` spending a wallet output,
/// witness included: P2WPKH 272 WU (68 vB), P2SH-P2WPKH 364 WU (91 vB),
/// P2TR key path 230 WU (57.5 vB). ECDSA signatures are counted at 72
/// bytes with the sighash flag (the largest low-S DER signature), Schnorr
/// at 64 (SIGHASH_DEFAULT adds no byte).
pub fn input_weight(kind: AddressType) -> Weight {
    // outpoint 36 + script_sig length 1 + sequence 4
    const BASE: u64 = 41;
    // items count 1 + (1 + 72) signature + (1 + 33) public key
    const ECDSA_WITNESS: u64 = 1 + 1 + 72 + 1 + 33;
    let wu = match kind {
        AddressType::P2wkh => BASE * 4 + ECDSA_WITNESS,
        // script_sig: a 22-byte push of the redeem script.
        AddressType::Np2wkh => (BASE + 23) * 4 + ECDSA_WITNESS,
        // items count 1 + (1 + 64) signature
        AddressType::P2tr => BASE * 4 + 1 + 1 + 64,
    };
    Weight::from_wu(wu)
}

fn txout_size(script: &ScriptBuf) -> u64 {
    8 + VarInt::from(script.len()).size() as u64 + script.len() as u64
}

/// The weight of a signed segwit transaction with these inputs (their
/// summed weight) and outputs (their summed serialized size).
fn tx_weight(inputs: usize, inputs_weight: u64, outputs: usize, outputs_size: u64) -> Weight {
    // version 4 + locktime 4 + the two counts, times 4; marker and flag 2.
    let base = 8 + VarInt::from(inputs).size() as u64 + VarInt::from(outputs).size() as u64;
    Weight::from_wu((base + outputs_size) * 4 + 2 + inputs_weight)
}

/// A coin that may be selected.
#[derive(Debug, Clone)]
struct Candidate {
    outpoint: OutPoint,
    prevout: TxOut,
    derivation: Derivation,
    confirmations: u32,
}

/// What selection decided.
struct Selection {
    inputs: Vec<Candidate>,
    outputs: Vec<TxOut>,
    change: Option<Amount>,
    fee: Amount,
    weight: Weight,
}

fn sum(coins: &[Candidate]) -> Result<Amount, WalletError> {
    coins.iter().try_fold(Amount::ZERO, |acc, c| {
        acc.checked_add(c.prevout.value)
            .ok_or(WalletError::AmountOverflow)
    })
}

/// The fee at `feerate` for `weight`, on the virtual size rounded up, as
/// Core measures fee rates (so a 1 sat/vB transaction meets the minimum
/// relay fee; a fee on the exact weight could fall a satoshi short).
fn fee_for(feerate: FeeRate, weight: Weight) -> Result<Amount, WalletError> {
    feerate
        .fee_vb(weight.to_vbytes_ceil())
        .ok_or(WalletError::AmountOverflow)
}

fn check_not_dust(script: &ScriptBuf, amount: Amount) -> Result<(), WalletError> {
    let minimum = script.minimal_non_dust();
    if amount < minimum {
        return Err(WalletError::Dust { amount, minimum });
    }
    Ok(())
}

/// Picks inputs among `candidates` (in order; all of them if `use_all`) and
/// decides change and fee.
fn select(
    candidates: Vec<Candidate>,
    use_all: bool,
    recipients: &Recipients,
    feerate: FeeRate,
    change_script: &ScriptBuf,
) -> Result<Selection, WalletError> {
    let available = sum(&candidates)?;
    match recipients {
        Recipients::SweepAll(script) => {
            let out_size = txout_size(script);
            let inputs_weight: u64 = candidates
                .iter()
                .map(|c| input_weight(c.derivation.kind).to_wu())
                .sum();
            let weight = tx_weight(candidates.len(), inputs_weight, 1, out_size);
            let fee = fee_for(feerate, weight)?;
            let minimum = script.minimal_non_dust().max(Amount::ONE_SAT);
            let needed = fee
                .checked_add(minimum)
                .ok_or(WalletError::AmountOverflow)?;
            if candidates.is_empty() || available < needed {
                return Err(WalletError::InsufficientFunds { needed, available });
            }
            let value = available - fee;
            Ok(Selection {
                inputs: candidates,
                outputs: vec![TxOut {
                    value,
                    script_pubkey: script.clone(),
                }],
                change: None,
                fee,
                weight,
            })
        }
        Recipients::Pay(payments) => {
            if payments.is_empty() {
                return Err(WalletError::NoRecipients);
            }
            let mut target = Amount::ZERO;
            let mut outputs_size = 0u64;
            for (script, amount) in payments {
                check_not_dust(script, *amount)?;
                target = target
                    .checked_add(*amount)
                    .ok_or(WalletError::AmountOverflow)?;
                outputs_size += txout_size(script);
            }
            let n_out = payments.len();
            let change_size = txout_size(change_script);
            let change_dust = change_script.minimal_non_dust();

            let mut selected: Vec<Candidate> = Vec::new();
            let mut selected_value = Amount::ZERO;
            let mut inputs_weight = 0u64;
            // With `use_all` every candidate goes in before the first check.
            let mut rest = candidates.into_iter().peekable();
            loop {
                if let Some(coin) = rest.next() {
                    selected_value = selected_value
                        .checked_add(coin.prevout.value)
                        .ok_or(WalletError::AmountOverflow)?;
                    inputs_weight += input_weight(coin.derivation.kind).to_wu();
                    selected.push(coin);
                    if use_all && rest.peek().is_some() {
                        continue;
                    }
                }
                let weight_no_change =
                    tx_weight(selected.len(), inputs_weight, n_out, outputs_size);
                let fee_no_change = fee_for(feerate, weight_no_change)?;
                let needed = target
                    .checked_add(fee_no_change)
                    .ok_or(WalletError::AmountOverflow)?;
                if !selected.is_empty() && selected_value >= needed {
                    let weight_change = tx_weight(
                        selected.len(),
                        inputs_weight,
                        n_out + 1,
                        outputs_size + change_size,
                    );
                    let fee_change = fee_for(feerate, weight_change)?;
                    let mut outputs: Vec<TxOut> = payments
                        .iter()
                        .map(|(script, value)| TxOut {
                            value: *value,
                            script_pubkey: script.clone(),
                        })
                        .collect();
                    let change = selected_value
                        .checked_sub(target)
                        .and_then(|v| v.checked_sub(fee_change))
                        .filter(|c| *c >= change_dust);
                    return Ok(match change {
                        Some(change) => {
                            outputs.push(TxOut {
                                value: change,
                                script_pubkey: change_script.clone(),
                            });
                            Selection {
                                inputs: selected,
                                outputs,
                                change: Some(change),
                                fee: fee_change,
                                weight: weight_change,
                            }
                        }
                        None => Selection {
                            inputs: selected,
                            outputs,
                            change: None,
                            // Whatever is left, dust change included.
                            fee: selected_value - target,
                            weight: weight_no_change,
                        },
                    });
                }
                if rest.peek().is_none() {
                    return Err(WalletError::InsufficientFunds { needed, available });
                }
            }
        }
    }
}

impl Wallet {
    /// The coins coin selection may spend: unspent, not locked, mature, with
    /// at least `min_conf` confirmations at the wallet's tip; largest first.
    fn candidates(&self, min_conf: u32) -> Vec<Candidate> {
        let tip = self.sync_tip().map_or(0, |t| t.height);
        let mut coins: Vec<Candidate> = self
            .coins()
            .filter(|c| !self.locked.contains(&c.outpoint) && !c.is_immature(tip))
            .filter(|c| c.confirmations(tip) >= min_conf)
            .map(|c| Candidate {
                outpoint: c.outpoint,
                prevout: c.txout.clone(),
                derivation: c.info.derivation,
                confirmations: c.confirmations(tip),
            })
            .collect();
        coins.sort_by(|a, b| {
            b.prevout
                .value
                .cmp(&a.prevout.value)
                .then(b.confirmations.cmp(&a.confirmations))
                .then(a.outpoint.cmp(&b.outpoint))
        });
        coins
    }

    /// The given outpoints as inputs, each an unspent, unlocked, mature
    /// wallet output.
    fn chosen(&self, outpoints: &[OutPoint]) -> Result<Vec<Candidate>, WalletError> {
        let tip = self.sync_tip().map_or(0, |t| t.height);
        let mut out: Vec<Candidate> = Vec::with_capacity(outpoints.len());
        for outpoint in outpoints {
            if out.iter().any(|c| c.outpoint == *outpoint) {
                return Err(WalletError::DuplicateInput(*outpoint));
            }
            let coin = self
                .coins()
                .find(|c| c.outpoint == *outpoint)
                .ok_or(WalletError::UnknownInput(*outpoint))?;
            if self.locked.contains(outpoint) {
                return Err(WalletError::LockedInput(*outpoint));
            }
            if coin.is_immature(tip) {
                return Err(WalletError::ImmatureInput(*outpoint));
            }
            out.push(Candidate {
                outpoint: *outpoint,
                prevout: coin.txout.clone(),
                derivation: coin.info.derivation,
                confirmations: coin.confirmations(tip),
            });
        }
        Ok(out)
    }

    fn change_script(&self, kind: AddressType) -> Result<(Derivation, ScriptBuf), WalletError> {
        let index = self.next_index(kind, true)?;
        let address = self.peek_address(kind, true, index)?;
        Ok((
            Derivation {
                kind,
                change: true,
                index,
            },
            address.script_pubkey(),
        ))
    }

    /// Builds (does not sign or broadcast) a transaction paying
    /// `recipients` at `feerate`, choosing coins largest first among the
    /// unlocked, mature outputs with at least `min_conf` confirmations at
    /// the wallet's tip (0 allows unconfirmed ones). Change goes to a new
    /// `change` address, revealed only if the transaction has change (its
    /// record is in [`UnsignedSpend::records`]).
    pub fn build_transaction(
        &mut self,
        recipients: &Recipients,
        feerate: FeeRate,
        change: AddressType,
        min_conf: u32,
    ) -> Result<UnsignedSpend, WalletError> {
        let candidates = self.candidates(min_conf);
        self.build(candidates, false, recipients, feerate, change)
    }

    /// Like [`Wallet::build_transaction`] but spending exactly `inputs` (in
    /// this order), as `lncli sendcoins --utxo` does: each must be an
    /// unspent, unlocked, mature wallet output.
    pub fn build_transaction_with_inputs(
        &mut self,
        inputs: &[OutPoint],
        recipients: &Recipients,
        feerate: FeeRate,
        change: AddressType,
    ) -> Result<UnsignedSpend, WalletError> {
        let candidates = self.chosen(inputs)?;
        if candidates.is_empty() {
            return Err(WalletError::InsufficientFunds {
                needed: Amount::ONE_SAT,
                available: Amount::ZERO,
            });
        }
        self.build(candidates, true, recipients, feerate, change)
    }

    /// The fee [`Wallet::build_transaction`] would pay, without building or
    /// revealing anything.
    pub fn estimate_fee(
        &self,
        recipients: &Recipients,
        feerate: FeeRate,
        change: AddressType,
        min_conf: u32,
    ) -> Result<Amount, WalletError> {
        let (_, change_script) = self.change_script(change)?;
        Ok(select(
            self.candidates(min_conf),
            false,
            recipients,
            feerate,
            &change_script,
        )?
        .fee)
    }

    fn build(
        &mut self,
        candidates: Vec<Candidate>,
        use_all: bool,
        recipients: &Recipients,
        feerate: FeeRate,
        change_kind: AddressType,
    ) -> Result<UnsignedSpend, WalletError> {
        let (change_derivation, change_script) = self.change_script(change_kind)?;
        let selection = select(candidates, use_all, recipients, feerate, &change_script)?;
        let lock_time = self
            .sync_tip()
            .and_then(|t| absolute::LockTime::from_height(t.height).ok())
            .unwrap_or(absolute::LockTime::ZERO);
        let tx = Transaction {
            version: transaction::Version::TWO,
            lock_time,
            input: selection
                .inputs
                .iter()
                .map(|c| TxIn {
                    previous_output: c.outpoint,
                    script_sig: ScriptBuf::new(),
                    sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
                    witness: Witness::new(),
                })
                .collect(),
            output: selection.outputs,
        };
        let mut records = Vec::new();
        let change = match selection.change {
            Some(amount) => {
                let (_, record) = self.reveal_address(change_kind, true)?;
                records.push(record);
                Some(ChangeOutput {
                    vout: (tx.output.len() - 1) as u32,
                    amount,
                    derivation: change_derivation,
                })
            }
            None => None,
        };
        Ok(UnsignedSpend {
            inputs: selection
                .inputs
                .into_iter()
                .map(|c| SpendInput {
                    outpoint: c.outpoint,
                    prevout: c.prevout,
                    derivation: c.derivation,
                })
                .collect(),
            tx,
            fee: selection.fee,
            change,
            weight: selection.weight,
            records,
        })
    }

    /// Locks the inputs of a spend (see [`Wallet::lock`]); the records of
    /// the ones newly locked.
    pub fn lock_inputs(&mut self, spend: &UnsignedSpend) -> Vec<WalletRecord> {
        spend
            .inputs
            .iter()
            .filter_map(|i| self.lock(i.outpoint))
            .collect()
    }

    /// Unlocks the inputs of a spend that was abandoned.
    pub fn unlock_inputs(&mut self, spend: &UnsignedSpend) -> Vec<WalletRecord> {
        spend
            .inputs
            .iter()
            .filter_map(|i| self.unlock(i.outpoint))
            .collect()
    }

    /// Signs every input of a spend: P2WPKH with a BIP143 SIGHASH_ALL
    /// signature; P2SH-P2WPKH the same plus a script_sig pushing the redeem
    /// script; P2TR a BIP341 key-path SIGHASH_DEFAULT Schnorr signature with
    /// the BIP86-tweaked key. ECDSA signatures are low-R (as Core's), and
    /// Schnorr signatures use no auxiliary randomness (BIP340 allows it;
    /// this crate takes no RNG), so signing is deterministic.
    ///
    /// Checks that each input's script is the one the wallet derives at its
    /// derivation, so a tampered spend fails here rather than on chain.
    pub fn sign(&self, spend: &UnsignedSpend) -> Result<Transaction, WalletError> {
        let unsigned = &spend.tx;
        if spend.inputs.len() != unsigned.input.len() {
            return Err(WalletError::MalformedSpend(
                "inputs and transaction inputs differ in number",
            ));
        }
        if spend
            .inputs
            .iter()
            .zip(&unsigned.input)
            .any(|(i, txin)| i.outpoint != txin.previous_output)
        {
            return Err(WalletError::MalformedSpend(
                "inputs and transaction inputs differ",
            ));
        }
        let prevouts: Vec<TxOut> = spend.inputs.iter().map(|i| i.prevout.clone()).collect();
        let mut cache = SighashCache::new(unsigned);
        let mut signed = unsigned.clone();
        for (index, input) in spend.inputs.iter().enumerate() {
            let d = input.derivation;
            let secret = self.accounts[d.kind.slot()].secret_key(&self.secp, d.change, d.index)?;
            let public = PublicKey::from_secret_key(&self.secp, &secret);
            let script = address_for(&self.secp, d.kind, public, self.network).script_pubkey();
            if script != input.prevout.script_pubkey {
                return Err(WalletError::ForeignInput(input.outpoint));
            }
            let value = input.prevout.value;
            let txin = &mut signed.input[index];
            match d.kind {
                AddressType::P2wkh | AddressType::Np2wkh => {
                    let redeem = p2wpkh_script(public);
                    let sighash = cache
                        .p2wpkh_signature_hash(index, &redeem, value, EcdsaSighashType::All)
                        .map_err(|e| WalletError::Sighash(e.to_string()))?;
                    let message = Message::from_digest(sighash.to_byte_array());
                    let signature = ecdsa::Signature {
                        signature: self.secp.sign_ecdsa_low_r(&message, &secret),
                        sighash_type: EcdsaSighashType::All,
                    };
                    txin.witness = Witness::p2wpkh(&signature, &public);
                    if d.kind == AddressType::Np2wkh {
                        let push = PushBytesBuf::try_from(redeem.into_bytes())
                            .map_err(|_| WalletError::MalformedSpend("redeem script too long"))?;
                        txin.script_sig = Builder::new().push_slice(push).into_script();
                    }
                }
                AddressType::P2tr => {
                    let sighash = cache
                        .taproot_key_spend_signature_hash(
                            index,
                            &Prevouts::All(&prevouts),
                            TapSighashType::Default,
                        )
                        .map_err(|e| WalletError::Sighash(e.to_string()))?;
                    let message = Message::from_digest(sighash.to_byte_array());
                    let keypair = Keypair::from_secret_key(&self.secp, &secret)
                        .tap_tweak(&self.secp, None)
                        .to_keypair();
                    let signature = taproot::Signature {
                        signature: self.secp.sign_schnorr_no_aux_rand(&message, &keypair),
                        sighash_type: TapSighashType::Default,
                    };
                    txin.witness = Witness::p2tr_key_spend(&signature);
                }
            }
        }
        Ok(signed)
    }
}
