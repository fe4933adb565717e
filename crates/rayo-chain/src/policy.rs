//! Relay policy: the standardness rules Bitcoin Core applies to mempool
//! transactions on top of consensus (`IsStandardTx`), with Core's reasons.

use bitcoin::{Amount, FeeRate, Script, Transaction};

use crate::validation::Rejection;

/// Default minimum relay fee rate: 1 sat/vB (Core's `-minrelaytxfee`).
pub const MIN_RELAY_FEERATE: FeeRate = FeeRate::from_sat_per_vb_u32(1);
/// Fee rate used to call an output dust: 3 sat/vB (Core's `-dustrelayfee`).
pub const DUST_RELAY_FEERATE: FeeRate = FeeRate::from_sat_per_vb_u32(3);
/// Largest standard transaction weight.
pub const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
/// Largest standard sigop cost of one transaction.
pub const MAX_STANDARD_TX_SIGOPS_COST: u64 = 16_000;
/// Largest standard scriptSig.
pub const MAX_STANDARD_SCRIPTSIG_SIZE: usize = 1650;
/// Largest standard OP_RETURN output script (Core's `-datacarriersize` + 3).
pub const MAX_OP_RETURN_RELAY: usize = 83;

/// Is this an output script Core relays: a known template, a witness
/// program of any version, or a small OP_RETURN?
pub fn is_standard_output(script: &Script) -> bool {
    if script.is_op_return() {
        return script.len() <= MAX_OP_RETURN_RELAY;
    }
    script.is_p2pkh()
        || script.is_p2sh()
        || script.is_p2pk()
        || script.is_witness_program()
        || is_standard_multisig(script)
}

fn is_standard_multisig(script: &Script) -> bool {
    // Bare m-of-n with n at most 3, as Core's Solver allows for relay.
    script.is_multisig() && {
        let bytes = script.as_bytes();
        let n = bytes[bytes.len() - 2];
        (0x51..=0x53).contains(&n)
    }
}

/// Core's `IsStandardTx`, minus the rules that need the spent outputs.
pub fn check_standard(tx: &Transaction) -> Result<(), Rejection> {
    if !(1..=3).contains(&tx.version.0) {
        return Err(Rejection::invalid("version"));
    }
    if tx.weight().to_wu() > MAX_STANDARD_TX_WEIGHT {
        return Err(Rejection::invalid("tx-size"));
    }
    if tx.base_size() < crate::params::MIN_STANDARD_TX_NONWITNESS_SIZE {
        return Err(Rejection::invalid("tx-size-small"));
    }
    for input in &tx.input {
        if input.script_sig.len() > MAX_STANDARD_SCRIPTSIG_SIZE {
            return Err(Rejection::invalid("scriptsig-size"));
        }
        if !input.script_sig.is_push_only() {
            return Err(Rejection::invalid("scriptsig-not-pushonly"));
        }
    }
    let mut op_returns = 0;
    for output in &tx.output {
        if !is_standard_output(&output.script_pubkey) {
            return Err(Rejection::invalid("scriptpubkey"));
        }
        if output.script_pubkey.is_op_return() {
            op_returns += 1;
        } else if output.value
            < output
                .script_pubkey
                .minimal_non_dust_custom(DUST_RELAY_FEERATE)
        {
            return Err(Rejection::invalid("dust"));
        }
    }
    if op_returns > 1 {
        return Err(Rejection::invalid("multi-op-return"));
    }
    Ok(())
}

/// The fee `vsize` virtual bytes must pay at `rate`, rounded up as Core does.
pub fn fee_for(rate: FeeRate, vsize: u64) -> Amount {
    Amount::from_sat((rate.to_sat_per_kwu() * 4 * vsize).div_ceil(1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::ScriptBuf;

    #[test]
    fn standard_outputs() {
        let p2wpkh = ScriptBuf::from_hex("0014751e76e8199196d454941c45d1b3a323f1433bd6").unwrap();
        assert!(is_standard_output(&p2wpkh));
        let anchor = ScriptBuf::from_hex("51024e73").unwrap();
        assert!(is_standard_output(&anchor));
        assert!(!is_standard_output(&ScriptBuf::from_hex("51").unwrap()));
        let push = |n: usize| <&bitcoin::script::PushBytes>::try_from(&[0u8; 100][..n]).unwrap();
        let big_return = ScriptBuf::new_op_return(push(80));
        assert!(is_standard_output(&big_return));
        let too_big = ScriptBuf::new_op_return(push(81));
        assert!(!is_standard_output(&too_big));
    }

    #[test]
    fn relay_fee_rounds_up() {
        assert_eq!(fee_for(MIN_RELAY_FEERATE, 141), Amount::from_sat(141));
        assert_eq!(
            fee_for(FeeRate::from_sat_per_kwu(251), 100),
            Amount::from_sat(101)
        );
    }
}
