//! BOLT 3 Appendix D (per-commitment secret generation and the shachain
//! storage cases, including every one that must fail, at exactly the
//! insertion that must fail) and Appendix E (key derivation), verbatim from
//! shared/bolts/03-transactions.md.

use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use rayo_channel::keys::{
    commitment_secret, derive_private_key, derive_public_key, derive_revocation_private_key,
    derive_revocation_public_key, per_commitment_point, per_commitment_secret, MAX_INDEX,
};
use rayo_channel::shachain::{SecretStore, ShachainError};

fn bytes32(hex_str: &str) -> [u8; 32] {
    let hex_str = hex_str.strip_prefix("0x").unwrap_or(hex_str);
    hex::decode(hex_str).unwrap().try_into().unwrap()
}

fn pubkey(hex_str: &str) -> PublicKey {
    PublicKey::from_slice(&hex::decode(hex_str).unwrap()).unwrap()
}

fn seckey(hex_str: &str) -> SecretKey {
    SecretKey::from_slice(&bytes32(hex_str)).unwrap()
}

// ---------------------------------------------------------------------------
// Appendix D: generation tests
// ---------------------------------------------------------------------------

/// (name, seed, I, output)
const GENERATION: &[(&str, &str, u64, &str)] = &[
    (
        "generate_from_seed 0 final node",
        "0000000000000000000000000000000000000000000000000000000000000000",
        281474976710655,
        "02a40c85b6f28da08dfdbe0926c53fab2de6d28c10301f8f7c4073d5e42e3148",
    ),
    (
        "generate_from_seed FF final node",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        281474976710655,
        "7cc854b54e3e0dcdb010d7a3fee464a9687be6e8db3be6854c475621e007a5dc",
    ),
    (
        "generate_from_seed FF alternate bits 1",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        0xaaaaaaaaaaa,
        "56f4008fb007ca9acf0e15b054d5c9fd12ee06cea347914ddbaed70d1c13a528",
    ),
    (
        "generate_from_seed FF alternate bits 2",
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF",
        0x555555555555,
        "9015daaeb06dba4ccc05b91b2f73bd54405f2be9f217fbacd3c5ac2e62327d31",
    ),
    (
        "generate_from_seed 01 last nontrivial node",
        "0101010101010101010101010101010101010101010101010101010101010101",
        1,
        "915c75942a26bb3a433a8ce2cb0427c29ec6c1775cfc78328b57f6ba7bfeaa9c",
    ),
];

#[test]
fn appendix_d_generation() {
    for (name, seed, index, output) in GENERATION {
        let seed = bytes32(seed);
        assert_eq!(
            per_commitment_secret(&seed, *index),
            bytes32(output),
            "{name}"
        );
        // The same secret by commitment number n = 2^48 - 1 - I.
        assert_eq!(
            commitment_secret(&seed, MAX_INDEX - index),
            bytes32(output),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------
// Appendix D: storage tests (seed 0xFF..FF; wrong entries seeded with 0x00..00)
// ---------------------------------------------------------------------------

struct StorageCase {
    name: &'static str,
    /// (I, secret, whether insert_secret must succeed)
    steps: &'static [(u64, &'static str, bool)],
}

const STORAGE_CASES: &[StorageCase] = &[
    StorageCase {
        name: "insert_secret correct sequence",
        steps: &[
            (
                281474976710655,
                "7cc854b54e3e0dcdb010d7a3fee464a9687be6e8db3be6854c475621e007a5dc",
                true,
            ),
            (
                281474976710654,
                "c7518c8ae4660ed02894df8976fa1a3659c1a8b4b5bec0c4b872abeba4cb8964",
                true,
            ),
            (
                281474976710653,
                "2273e227a5b7449b6e70f1fb4652864038b1cbf9cd7c043a7d6456b7fc275ad8",
                true,
            ),
            (
                281474976710652,
                "27cddaa5624534cb6cb9d7da077cf2b22ab21e9b506fd4998a51d54502e99116",
                true,
            ),
            (
                281474976710651,
                "c65716add7aa98ba7acb236352d665cab17345fe45b55fb879ff80e6bd0c41dd",
                true,
            ),
            (
                281474976710650,
                "969660042a28f32d9be17344e09374b379962d03db1574df5a8a5a47e19ce3f2",
                true,
            ),
            (
                281474976710649,
                "a5a64476122ca0925fb344bdc1854c1c0a59fc614298e50a33e331980a220f32",
                true,
            ),
            (
                281474976710648,
                "05cde6323d949933f7f7b78776bcc1ea6d9b31447732e3802e1f7ac44b650e17",
                true,
            ),
        ],
    },
    StorageCase {
        name: "insert_secret #1 incorrect",
        steps: &[
            (
                281474976710655,
                "02a40c85b6f28da08dfdbe0926c53fab2de6d28c10301f8f7c4073d5e42e3148",
                true,
            ),
            (
                281474976710654,
                "c7518c8ae4660ed02894df8976fa1a3659c1a8b4b5bec0c4b872abeba4cb8964",
                false,
            ),
        ],
    },
    StorageCase {
        name: "insert_secret #2 incorrect (#1 derived from incorrect)",
        steps: &[
            (
                281474976710655,
                "02a40c85b6f28da08dfdbe0926c53fab2de6d28c10301f8f7c4073d5e42e3148",
                true,
            ),
            (
                281474976710654,
                "dddc3a8d14fddf2b68fa8c7fbad2748274937479dd0f8930d5ebb4ab6bd866a3",
                true,
            ),
            (
                281474976710653,
                "2273e227a5b7449b6e70f1fb4652864038b1cbf9cd7c043a7d6456b7fc275ad8",
                true,
            ),
            (
                281474976710652,
                "27cddaa5624534cb6cb9d7da077cf2b22ab21e9b506fd4998a51d54502e99116",
                false,
            ),
        ],
    },
    StorageCase {
        name: "insert_secret #3 incorrect",
        steps: &[
            (
                281474976710655,
                "7cc854b54e3e0dcdb010d7a3fee464a9687be6e8db3be6854c475621e007a5dc",
                true,
            ),
            (
                281474976710654,
                "c7518c8ae4660ed02894df8976fa1a3659c1a8b4b5bec0c4b872abeba4cb8964",
                true,
            ),
            (
                281474976710653,
                "c51a18b13e8527e579ec56365482c62f180b7d5760b46e9477dae59e87ed423a",
                true,
            ),
            (
                281474976710652,
                "27cddaa5624534cb6cb9d7da077cf2b22ab21e9b506fd4998a51d54502e99116",
                false,
            ),
        ],
    },
    StorageCase {
        name: "insert_secret #4 incorrect (1,2,3 derived from incorrect)",
        steps: &[
            (
                281474976710655,
                "02a40c85b6f28da08dfdbe0926c53fab2de6d28c10301f8f7c4073d5e42e3148",
                true,
            ),
            (
                281474976710654,
                "dddc3a8d14fddf2b68fa8c7fbad2748274937479dd0f8930d5ebb4ab6bd866a3",
                true,
            ),
            (
                281474976710653,
                "c51a18b13e8527e579ec56365482c62f180b7d5760b46e9477dae59e87ed423a",
                true,
            ),
            (
                281474976710652,
                "ba65d7b0ef55a3ba300d4e87af29868f394f8f138d78a7011669c79b37b936f4",
                true,
            ),
            (
                281474976710651,
                "c65716add7aa98ba7acb236352d665cab17345fe45b55fb879ff80e6bd0c41dd",
                true,
            ),
            (
                281474976710650,
                "969660042a28f32d9be17344e09374b379962d03db1574df5a8a5a47e19ce3f2",
                true,
            ),
            (
                281474976710649,
                "a5a64476122ca0925fb344bdc1854c1c0a59fc614298e50a33e331980a220f32",
                true,
            ),
            (
                281474976710648,
                "05cde6323d949933f7f7b78776bcc1ea6d9b31447732e3802e1f7ac44b650e17",
                false,
            ),
        ],
    },
    StorageCase {
        name: "insert_secret #5 incorrect",
        steps: &[
            (
                281474976710655,
                "7cc854b54e3e0dcdb010d7a3fee464a9687be6e8db3be6854c475621e007a5dc",
                true,
            ),
            (
                281474976710654,
                "c7518c8ae4660ed02894df8976fa1a3659c1a8b4b5bec0c4b872abeba4cb8964",
                true,
            ),
            (
                281474976710653,
                "2273e227a5b7449b6e70f1fb4652864038b1cbf9cd7c043a7d6456b7fc275ad8",
                true,
            ),
            (
                281474976710652,
                "27cddaa5624534cb6cb9d7da077cf2b22ab21e9b506fd4998a51d54502e99116",
                true,
            ),
            (
                281474976710651,
                "631373ad5f9ef654bb3dade742d09504c567edd24320d2fcd68e3cc47e2ff6a6",
                true,
            ),
            (
                281474976710650,
                "969660042a28f32d9be17344e09374b379962d03db1574df5a8a5a47e19ce3f2",
                false,
            ),
        ],
    },
    StorageCase {
        name: "insert_secret #6 incorrect (5 derived from incorrect)",
        steps: &[
            (
                281474976710655,
                "7cc854b54e3e0dcdb010d7a3fee464a9687be6e8db3be6854c475621e007a5dc",
                true,
            ),
            (
                281474976710654,
                "c7518c8ae4660ed02894df8976fa1a3659c1a8b4b5bec0c4b872abeba4cb8964",
                true,
            ),
            (
                281474976710653,
                "2273e227a5b7449b6e70f1fb4652864038b1cbf9cd7c043a7d6456b7fc275ad8",
                true,
            ),
            (
                281474976710652,
                "27cddaa5624534cb6cb9d7da077cf2b22ab21e9b506fd4998a51d54502e99116",
                true,
            ),
            (
                281474976710651,
                "631373ad5f9ef654bb3dade742d09504c567edd24320d2fcd68e3cc47e2ff6a6",
                true,
            ),
            (
                281474976710650,
                "b7e76a83668bde38b373970155c868a653304308f9896692f904a23731224bb1",
                true,
            ),
            (
                281474976710649,
                "a5a64476122ca0925fb344bdc1854c1c0a59fc614298e50a33e331980a220f32",
                true,
            ),
            (
                281474976710648,
                "05cde6323d949933f7f7b78776bcc1ea6d9b31447732e3802e1f7ac44b650e17",
                false,
            ),
        ],
    },
    StorageCase {
        name: "insert_secret #7 incorrect",
        steps: &[
            (
                281474976710655,
                "7cc854b54e3e0dcdb010d7a3fee464a9687be6e8db3be6854c475621e007a5dc",
                true,
            ),
            (
                281474976710654,
                "c7518c8ae4660ed02894df8976fa1a3659c1a8b4b5bec0c4b872abeba4cb8964",
                true,
            ),
            (
                281474976710653,
                "2273e227a5b7449b6e70f1fb4652864038b1cbf9cd7c043a7d6456b7fc275ad8",
                true,
            ),
            (
                281474976710652,
                "27cddaa5624534cb6cb9d7da077cf2b22ab21e9b506fd4998a51d54502e99116",
                true,
            ),
            (
                281474976710651,
                "c65716add7aa98ba7acb236352d665cab17345fe45b55fb879ff80e6bd0c41dd",
                true,
            ),
            (
                281474976710650,
                "969660042a28f32d9be17344e09374b379962d03db1574df5a8a5a47e19ce3f2",
                true,
            ),
            (
                281474976710649,
                "e7971de736e01da8ed58b94c2fc216cb1dca9e326f3a96e7194fe8ea8af6c0a3",
                true,
            ),
            (
                281474976710648,
                "05cde6323d949933f7f7b78776bcc1ea6d9b31447732e3802e1f7ac44b650e17",
                false,
            ),
        ],
    },
    StorageCase {
        name: "insert_secret #8 incorrect",
        steps: &[
            (
                281474976710655,
                "7cc854b54e3e0dcdb010d7a3fee464a9687be6e8db3be6854c475621e007a5dc",
                true,
            ),
            (
                281474976710654,
                "c7518c8ae4660ed02894df8976fa1a3659c1a8b4b5bec0c4b872abeba4cb8964",
                true,
            ),
            (
                281474976710653,
                "2273e227a5b7449b6e70f1fb4652864038b1cbf9cd7c043a7d6456b7fc275ad8",
                true,
            ),
            (
                281474976710652,
                "27cddaa5624534cb6cb9d7da077cf2b22ab21e9b506fd4998a51d54502e99116",
                true,
            ),
            (
                281474976710651,
                "c65716add7aa98ba7acb236352d665cab17345fe45b55fb879ff80e6bd0c41dd",
                true,
            ),
            (
                281474976710650,
                "969660042a28f32d9be17344e09374b379962d03db1574df5a8a5a47e19ce3f2",
                true,
            ),
            (
                281474976710649,
                "a5a64476122ca0925fb344bdc1854c1c0a59fc614298e50a33e331980a220f32",
                true,
            ),
            (
                281474976710648,
                "a7efbc61aac46d34f77778bac22c8a20c6a46ca460addc49009bda875ec88fa4",
                false,
            ),
        ],
    },
];

#[test]
fn appendix_d_storage() {
    assert_eq!(STORAGE_CASES.len(), 9);
    for case in STORAGE_CASES {
        let mut store = SecretStore::new();
        let mut accepted: Vec<(u64, [u8; 32])> = Vec::new();
        for (step, (index, secret, ok)) in case.steps.iter().enumerate() {
            let secret = bytes32(secret);
            let before = store.clone();
            let result = store.insert_secret(secret, *index);
            if *ok {
                assert_eq!(result, Ok(()), "{}: step {step} must succeed", case.name);
                accepted.push((*index, secret));
                assert_eq!(store.min_index(), Some(*index), "{}", case.name);
                assert_eq!(store.last_secret(), Some(secret), "{}", case.name);
                // Every secret received so far is still recoverable.
                for (i, s) in &accepted {
                    assert_eq!(store.get_secret(*i), Some(*s), "{}: index {i}", case.name);
                }
            } else {
                assert!(
                    matches!(result, Err(ShachainError::SecretMismatch { index: i, .. }) if i == *index),
                    "{}: step {step} must fail, got {result:?}",
                    case.name
                );
                // The failing insertion is the last step and leaves the store as it was.
                assert_eq!(step, case.steps.len() - 1, "{}", case.name);
                assert_eq!(store, before, "{}", case.name);
            }
            // Whatever state the store is in survives persistence.
            assert_eq!(
                SecretStore::from_bytes(&store.to_bytes()).as_ref(),
                Ok(&store)
            );
        }
    }
}

/// The correct sequence is the first 8 secrets of seed 0xFF..FF.
#[test]
fn appendix_d_storage_correct_sequence_matches_generation() {
    let seed = [0xff; 32];
    for (index, secret, _) in STORAGE_CASES[0].steps {
        assert_eq!(per_commitment_secret(&seed, *index), bytes32(secret));
    }
}

// ---------------------------------------------------------------------------
// Appendix E: key derivation
// ---------------------------------------------------------------------------

const BASE_SECRET: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const PER_COMMITMENT_SECRET: &str =
    "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";
const BASE_POINT: &str = "036d6caac248af96f6afa7f904f550253a0f3ef3f5aa2fe6838a95b216691468e2";
const PER_COMMITMENT_POINT: &str =
    "025f7117a78150fe2ef97db7cfc83bd57b2e2c0d0dd25eaf467a4a1c2a45ce1486";

#[test]
fn appendix_e_points_from_secrets() {
    let secp = Secp256k1::new();
    assert_eq!(
        PublicKey::from_secret_key(&secp, &seckey(BASE_SECRET)),
        pubkey(BASE_POINT),
        "base_point"
    );
    assert_eq!(
        per_commitment_point(&secp, &bytes32(PER_COMMITMENT_SECRET)),
        Ok(pubkey(PER_COMMITMENT_POINT)),
        "per_commitment_point"
    );
}

/// "derivation of pubkey from basepoint and per_commitment_point": the one
/// formula behind localpubkey, local_htlcpubkey, remote_htlcpubkey,
/// local_delayedpubkey and remote_delayedpubkey (and the pre-static_remotekey
/// remotepubkey), each from its own basepoint.
#[test]
fn appendix_e_localpubkey() {
    let secp = Secp256k1::new();
    let derived =
        derive_public_key(&secp, &pubkey(BASE_POINT), &pubkey(PER_COMMITMENT_POINT)).unwrap();
    assert_eq!(
        derived,
        pubkey("0235f2dbfaa89b57ec7b055afe29849ef7ddfeb1cefdb9ebdc43f5494984db29e5")
    );
}

/// "derivation of private key from basepoint secret and per_commitment_secret".
#[test]
fn appendix_e_localprivkey() {
    let secp = Secp256k1::new();
    let derived =
        derive_private_key(&secp, &seckey(BASE_SECRET), &pubkey(PER_COMMITMENT_POINT)).unwrap();
    assert_eq!(
        derived,
        seckey("cbced912d3b21bf196a766651e436aff192362621ce317704ea2f75d87e7be0f")
    );
    // And it is the private key of localpubkey.
    assert_eq!(
        PublicKey::from_secret_key(&secp, &derived),
        pubkey("0235f2dbfaa89b57ec7b055afe29849ef7ddfeb1cefdb9ebdc43f5494984db29e5")
    );
}

/// "derivation of revocation pubkey from basepoint and per_commitment_point".
#[test]
fn appendix_e_revocationpubkey() {
    let secp = Secp256k1::new();
    let derived =
        derive_revocation_public_key(&secp, &pubkey(BASE_POINT), &pubkey(PER_COMMITMENT_POINT))
            .unwrap();
    assert_eq!(
        derived,
        pubkey("02916e326636d19c33f13e8c0c3a03dd157f332f3e99c317c141dd865eb01f8ff0")
    );
}

/// "derivation of revocation secret from basepoint_secret and
/// per_commitment_secret".
#[test]
fn appendix_e_revocationprivkey() {
    let secp = Secp256k1::new();
    let derived =
        derive_revocation_private_key(&secp, &seckey(BASE_SECRET), &bytes32(PER_COMMITMENT_SECRET))
            .unwrap();
    assert_eq!(
        derived,
        seckey("d09ffff62ddb2297ab000cc85bcb4283fdeb6aa052affbc9dddcf33b61078110")
    );
    // And it is the private key of revocationpubkey.
    assert_eq!(
        PublicKey::from_secret_key(&secp, &derived),
        pubkey("02916e326636d19c33f13e8c0c3a03dd157f332f3e99c317c141dd865eb01f8ff0")
    );
}
