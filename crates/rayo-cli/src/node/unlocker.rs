//! `rayo create` and `rayo unlock`: lncli's verbs for a node that waits
//! for its wallet password (lnd's `WalletUnlocker`). The password is read
//! from the terminal without echo, or one line of standard input with
//! `--stdin`.

use std::io::BufRead;

use rayo_api::types::{InitWalletRequest, UnlockWalletRequest};
use rayo_api::{Client, ClientError};

/// The shortest password the node accepts (lnd's minimum).
const MIN_PASSWORD_LEN: usize = 8;

/// One line of standard input, without its line ending.
fn stdin_password() -> Result<Vec<u8>, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']).as_bytes().to_vec();
    if password.is_empty() {
        return Err("no password on standard input".into());
    }
    Ok(password)
}

fn prompt(text: &str) -> Result<Vec<u8>, String> {
    rpassword::prompt_password(text)
        .map(String::into_bytes)
        .map_err(|e| format!("cannot read the password: {e} (use --stdin to pipe it)"))
}

/// The password: one line of standard input with `--stdin`, else asked on
/// the terminal (twice when `confirm`, as for a new wallet).
fn password(stdin: bool, confirm: bool) -> Result<Vec<u8>, String> {
    if stdin {
        return stdin_password();
    }
    let first = prompt("Input wallet password: ")?;
    if confirm && prompt("Confirm password: ")? != first {
        return Err("the passwords do not match".into());
    }
    Ok(first)
}

/// `rayo create`: a new password (asked twice on a terminal), fresh seed
/// words from the node, the wallet created; the words are printed once.
pub(super) fn create(
    client: &Client,
    stdin: bool,
    fail: impl Fn(ClientError) -> String,
) -> Result<(), String> {
    let password = password(stdin, true)?;
    if password.len() < MIN_PASSWORD_LEN {
        return Err(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    let seed = client.gen_seed().map_err(&fail)?;
    client
        .init_wallet(&InitWalletRequest {
            wallet_password: password,
            cipher_seed_mnemonic: seed.cipher_seed_mnemonic.clone(),
            aezeed_passphrase: Vec::new(),
        })
        .map_err(&fail)?;
    println!("!!!YOU MUST WRITE DOWN THIS SEED TO BE ABLE TO RESTORE THE WALLET!!!");
    println!();
    for (row, words) in seed.cipher_seed_mnemonic.chunks(4).enumerate() {
        let cells: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| format!("{:>2}. {w:<10}", row * 4 + i + 1))
            .collect();
        println!("{}", cells.join(" "));
    }
    println!();
    println!("!!!YOU MUST WRITE DOWN THIS SEED TO BE ABLE TO RESTORE THE WALLET!!!");
    println!("rayod wallet created: the node is starting");
    Ok(())
}

/// `rayo unlock`: the password, sent to the waiting node.
pub(super) fn unlock(
    client: &Client,
    stdin: bool,
    fail: impl Fn(ClientError) -> String,
) -> Result<(), String> {
    client
        .unlock_wallet(&UnlockWalletRequest {
            wallet_password: password(stdin, false)?,
        })
        .map_err(fail)?;
    println!("rayod wallet unlocked: the node is starting");
    Ok(())
}
