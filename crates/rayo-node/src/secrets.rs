//! Secrets at rest: the seed encrypted with a password, the password read
//! from a file as lnd's `--wallet-unlock-password-file`, and ssh-style file
//! mode checks for the data dir and the database.
//!
//! Nothing here draws randomness or reads the clock: the caller passes the
//! salt and nonce (from the OS RNG), so every function is deterministic and
//! tested as such.
//!
//! # Encrypted seed
//!
//! The key is derived with argon2id (RFC 9106) from the password and a
//! 16-byte salt, with the parameters of [`KdfParams::DEFAULT`]; the seed
//! words are sealed with ChaCha20-Poly1305 (RFC 8439) under that key. Both
//! come from RustCrypto (`argon2`, `chacha20poly1305`).
//!
//! Blob layout, version 1 (integers big-endian; 65 bytes plus the seed):
//!
//! | offset | size | field                                                   |
//! |-------:|-----:|---------------------------------------------------------|
//! | 0      | 4    | magic `RYSD`                                            |
//! | 4      | 1    | format version, `1` = argon2id v0x13 + ChaCha20-Poly1305 |
//! | 5      | 4    | argon2 memory, KiB (`m_cost`)                           |
//! | 9      | 4    | argon2 passes (`t_cost`)                                |
//! | 13     | 4    | argon2 lanes (`p_cost`)                                 |
//! | 17     | 16   | salt                                                    |
//! | 33     | 12   | nonce                                                   |
//! | 45     | n+16 | ciphertext of the seed text (n bytes) and Poly1305 tag  |
//! | end-4  | 4    | checksum: first 4 bytes of SHA-256 of all bytes before  |
//!
//! The AEAD's associated data is the 45-byte header, so the stored
//! parameters, salt and nonce cannot be changed without the tag failing.
//! The magic and the trailing checksum are the envelope every version
//! keeps. The checksum is not security (anyone can recompute it): it tells
//! a damaged file ([`SecretsError::Corrupt`], checked before the costly key
//! derivation) from a wrong password ([`SecretsError::WrongPassword`]), as
//! lnd's aezeed does with its CRC-32. A blob altered with a recomputed
//! checksum fails the tag and reads as a wrong password: an AEAD cannot
//! tell those two apart.
//!
//! # File modes
//!
//! [`ensure_private_dir`] makes the data dir 0700, [`check_database_files`]
//! refuses a database (or its `-wal`/`-shm`/`-journal`) that group or
//! others can read, as ssh refuses a private key, and
//! [`create_private_file`]/[`tighten_file`] make files 0600. How to open
//! the SQLite database so that all its files come out 0600 is described at
//! [`check_database_files`].

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use bitcoin::hashes::{sha256, Hash};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use zeroize::Zeroizing;

/// Why a secrets operation failed. Every variant names what to do, since
/// these reach an operator at startup or at `rayo unlock`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// The password does not open this blob (or the blob was altered and
    /// its checksum recomputed, which an AEAD cannot tell apart).
    #[error("wrong wallet password")]
    WrongPassword,
    /// The blob is damaged, truncated, not an encrypted seed, or claims
    /// key-derivation costs outside the bounds this Rayo accepts.
    #[error("encrypted seed is corrupt: {reason}; restore it from a backup or recover the wallet from its seed words")]
    Corrupt {
        /// What was wrong, for the log.
        reason: &'static str,
    },
    /// The blob is well formed but written in a format version this Rayo
    /// does not know (a newer Rayo wrote it).
    #[error("encrypted seed has format version {0}, which this Rayo does not know; upgrade Rayo")]
    UnsupportedVersion(u8),
    /// A new wallet password is shorter than lnd's minimum.
    #[error("wallet password must have at least {min} bytes")]
    PasswordTooShort {
        /// The minimum, [`MIN_PASSWORD_LEN`].
        min: usize,
    },
    /// The seed text is longer than a blob may hold.
    #[error("seed text is {len} bytes, more than the {max} an encrypted seed holds")]
    SeedTooLong {
        /// Its length.
        len: usize,
        /// [`MAX_SEED_LEN`].
        max: usize,
    },
    /// Key-derivation parameters outside [`KdfParams::MIN`]..=[`KdfParams::MAX`].
    #[error("argon2 parameters {0} are outside the accepted bounds")]
    BadKdfParams(KdfParams),
    /// The memory for the key derivation could not be reserved.
    #[error("cannot reserve {kib} KiB of memory for the wallet key derivation")]
    OutOfMemory {
        /// What was asked for.
        kib: u32,
    },
    /// The password file holds nothing once trailing newlines are removed.
    #[error("password file {} is empty; write the wallet password in it (a trailing newline is fine)", .path.display())]
    EmptyPassword {
        /// The file.
        path: PathBuf,
    },
    /// The password file is larger than any password; probably the wrong
    /// path (or a device that never ends).
    #[error("password file {} holds more than {max} bytes; is it the right file?", .path.display())]
    PasswordFileTooLarge {
        /// The file.
        path: PathBuf,
        /// [`MAX_PASSWORD_FILE_LEN`].
        max: u64,
    },
    /// Group or others have some permission on a private file or dir.
    #[error("permissions {mode:04o} for {} are too open: it holds wallet secrets, and group and others must have no access; fix: chmod {want:o} {}", .path.display(), shell_quote(.path))]
    TooOpen {
        /// The file or dir.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// The mode to set, `600` or `700`.
        want: u32,
    },
    /// An existing data dir is too open and we may not change it (it is
    /// not ours).
    #[error("permissions {mode:04o} for {} are too open and cannot be tightened ({source}); fix: chmod 700 {} as its owner, or pick a dir of your own", .path.display(), shell_quote(.path))]
    CannotTighten {
        /// The dir.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
        /// Why chmod failed.
        source: io::Error,
    },
    /// Expected a directory.
    #[error("{} is not a directory", .path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// Expected a regular file.
    #[error("{} is not a regular file", .path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The file system refused.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> SecretsError + '_ {
    move |source| SecretsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

// ---------------------------------------------------------------------------
// Seed encryption
// ---------------------------------------------------------------------------

/// Argon2id cost parameters, stored in each blob so they can be raised
/// later without breaking blobs written before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory, in KiB (argon2 `m`).
    pub m_cost_kib: u32,
    /// Passes over the memory (argon2 `t`).
    pub t_cost: u32,
    /// Lanes (argon2 `p`).
    pub p_cost: u32,
}

impl KdfParams {
    /// What [`encrypt_seed`] uses: 64 MiB, 3 passes, 1 lane, the memory
    /// and passes of RFC 9106's second recommended option (for when 2 GiB
    /// is too much), 3.4x the memory of OWASP's argon2id minimum (19 MiB,
    /// t=2) and 2x lnd's aezeed scrypt (N=32768, r=8: 32 MiB). One lane:
    /// the RustCrypto implementation (without its rayon feature, which we
    /// leave off) runs lanes one after another, so more lanes would cost
    /// us time without costing an attacker more. Measured on the 2-core
    /// dev machine: about 100 ms in a release build (170 ms in the test
    /// profile); a Raspberry Pi is several times slower, still around a
    /// second, once per unlock.
    pub const DEFAULT: KdfParams = KdfParams {
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// The smallest parameters accepted (argon2's own minimum: 8 KiB per
    /// lane). Only tests should go near it.
    pub const MIN: KdfParams = KdfParams {
        m_cost_kib: 8,
        t_cost: 1,
        p_cost: 1,
    };

    /// The largest parameters a blob may claim: 256 MiB, 16 passes,
    /// 8 lanes. Decoding checks them before allocating, so a hostile blob
    /// cannot make us reserve gigabytes or spin for minutes; the bound can
    /// rise with a later format version.
    pub const MAX: KdfParams = KdfParams {
        m_cost_kib: 256 * 1024,
        t_cost: 16,
        p_cost: 8,
    };

    fn in_bounds(&self) -> bool {
        (Self::MIN.m_cost_kib..=Self::MAX.m_cost_kib).contains(&self.m_cost_kib)
            && (Self::MIN.t_cost..=Self::MAX.t_cost).contains(&self.t_cost)
            && (Self::MIN.p_cost..=Self::MAX.p_cost).contains(&self.p_cost)
            // argon2: at least 8 KiB per lane.
            && u64::from(self.m_cost_kib) >= 8 * u64::from(self.p_cost)
    }
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "m={} KiB, t={}, p={}",
            self.m_cost_kib, self.t_cost, self.p_cost
        )
    }
}

/// lnd's minimum for a new wallet password (`walletunlocker.ValidatePassword`).
pub const MIN_PASSWORD_LEN: usize = 8;

/// The longest seed text a blob holds: 24 BIP39 words take at most 215
/// bytes; the margin leaves room for a passphrase or another encoding
/// while keeping what a hostile blob can make us decrypt small.
pub const MAX_SEED_LEN: usize = 1024;

const MAGIC: [u8; 4] = *b"RYSD";
const VERSION_1: u8 = 1;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const CHECKSUM_LEN: usize = 4;
const HEADER_LEN: usize = 4 + 1 + 12 + SALT_LEN + NONCE_LEN;
const MIN_BLOB_LEN: usize = HEADER_LEN + TAG_LEN + CHECKSUM_LEN;
const MAX_BLOB_LEN: usize = MIN_BLOB_LEN + MAX_SEED_LEN;
const KEY_LEN: usize = 32;

/// Encrypts the seed words with `password`, with [`KdfParams::DEFAULT`].
/// `salt` and `nonce` must come fresh from the OS RNG for each call; they
/// are arguments so that tests are deterministic. The password must have
/// at least [`MIN_PASSWORD_LEN`] bytes, as lnd requires at `lncli create`.
pub fn encrypt_seed(
    words: &str,
    password: &[u8],
    salt: [u8; 16],
    nonce: [u8; 12],
) -> Result<Vec<u8>, SecretsError> {
    encrypt_seed_with_params(words, password, salt, nonce, KdfParams::DEFAULT)
}

/// [`encrypt_seed`] with explicit KDF parameters: for tests and simulations
/// that cannot afford 64 MiB per node, and for a later re-tuning. Weaker
/// parameters than the default weaken the blob; production uses
/// [`encrypt_seed`].
pub fn encrypt_seed_with_params(
    words: &str,
    password: &[u8],
    salt: [u8; 16],
    nonce: [u8; 12],
    params: KdfParams,
) -> Result<Vec<u8>, SecretsError> {
    if password.len() < MIN_PASSWORD_LEN {
        return Err(SecretsError::PasswordTooShort {
            min: MIN_PASSWORD_LEN,
        });
    }
    if words.len() > MAX_SEED_LEN {
        return Err(SecretsError::SeedTooLong {
            len: words.len(),
            max: MAX_SEED_LEN,
        });
    }
    if !params.in_bounds() {
        return Err(SecretsError::BadKdfParams(params));
    }
    let mut blob = Vec::with_capacity(MIN_BLOB_LEN + words.len());
    blob.extend_from_slice(&MAGIC);
    blob.push(VERSION_1);
    blob.extend_from_slice(&params.m_cost_kib.to_be_bytes());
    blob.extend_from_slice(&params.t_cost.to_be_bytes());
    blob.extend_from_slice(&params.p_cost.to_be_bytes());
    blob.extend_from_slice(&salt);
    blob.extend_from_slice(&nonce);
    debug_assert_eq!(blob.len(), HEADER_LEN);

    let key = derive_key(password, &salt, params)?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key[..]));
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: words.as_bytes(),
                aad: &blob,
            },
        )
        // Only fails for plaintexts of 256 GiB; ours is bounded above.
        .map_err(|_| SecretsError::SeedTooLong {
            len: words.len(),
            max: MAX_SEED_LEN,
        })?;
    blob.extend_from_slice(&sealed);
    let sum = checksum(&blob);
    blob.extend_from_slice(&sum);
    Ok(blob)
}

/// Whether stored seed bytes are an [`encrypt_seed`] blob (rather than the
/// plaintext words older Rayo versions stored, which are migrated).
pub fn is_encrypted_seed(blob: &[u8]) -> bool {
    blob.starts_with(&MAGIC)
}

/// Decrypts a blob of [`encrypt_seed`]. A damaged or hostile blob gives
/// [`SecretsError::Corrupt`] before any key derivation (and so before any
/// large allocation); a good blob with another password gives
/// [`SecretsError::WrongPassword`]. The words come back in memory that is
/// wiped when dropped.
pub fn decrypt_seed(blob: &[u8], password: &[u8]) -> Result<Zeroizing<String>, SecretsError> {
    let corrupt = |reason| SecretsError::Corrupt { reason };
    if blob.len() < MAGIC.len() || blob[..MAGIC.len()] != MAGIC {
        return Err(corrupt("not a Rayo encrypted seed (bad magic)"));
    }
    if blob.len() < MIN_BLOB_LEN {
        return Err(corrupt("truncated"));
    }
    if blob.len() > MAX_BLOB_LEN {
        return Err(corrupt("longer than any encrypted seed"));
    }
    let (body, sum) = blob.split_at(blob.len() - CHECKSUM_LEN);
    if checksum(body) != sum {
        return Err(corrupt("checksum mismatch (damaged or truncated)"));
    }
    let version = body[4];
    if version != VERSION_1 {
        return Err(SecretsError::UnsupportedVersion(version));
    }
    let (header, sealed) = body.split_at(HEADER_LEN);
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let params = KdfParams {
        m_cost_kib: be32(5),
        t_cost: be32(9),
        p_cost: be32(13),
    };
    if !params.in_bounds() {
        return Err(corrupt("key-derivation parameters out of bounds"));
    }
    let salt = &header[17..17 + SALT_LEN];
    let nonce = &header[17 + SALT_LEN..HEADER_LEN];

    let key = derive_key(password, salt, params)?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(&key[..]));
    let plain = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: header,
            },
        )
        .map_err(|_| SecretsError::WrongPassword)?;
    match String::from_utf8(plain) {
        Ok(words) => Ok(Zeroizing::new(words)),
        Err(e) => {
            // Wipe what did decrypt before reporting.
            drop(Zeroizing::new(e.into_bytes()));
            Err(corrupt("seed is not UTF-8 text"))
        }
    }
}

/// argon2id of the password into a 32-byte key, in memory we reserve
/// (fallibly, so a failed reservation is an error, not an abort) and wipe.
fn derive_key(
    password: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; KEY_LEN]>, SecretsError> {
    let bad = || SecretsError::BadKdfParams(params);
    let argon_params = Params::new(
        params.m_cost_kib,
        params.t_cost,
        params.p_cost,
        Some(KEY_LEN),
    )
    .map_err(|_| bad())?;
    let blocks_needed = argon_params.block_count();
    let mut blocks: Zeroizing<Vec<Block>> = Zeroizing::new(Vec::new());
    blocks
        .try_reserve_exact(blocks_needed)
        .map_err(|_| SecretsError::OutOfMemory {
            kib: params.m_cost_kib,
        })?;
    blocks.resize(blocks_needed, Block::default());
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params)
        .hash_password_into_with_memory(password, salt, &mut key[..], &mut blocks[..])
        .map_err(|_| bad())?;
    Ok(key)
}

fn checksum(bytes: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = sha256::Hash::hash(bytes).to_byte_array();
    [digest[0], digest[1], digest[2], digest[3]]
}

// ---------------------------------------------------------------------------
// Password files
// ---------------------------------------------------------------------------

/// The largest password file read: a password is never this long, and the
/// bound keeps a mistaken path (`/dev/zero`) from filling memory.
pub const MAX_PASSWORD_FILE_LEN: u64 = 4096;

/// Reads the wallet password from a file (or a pipe or device), as lnd's
/// `--wallet-unlock-password-file`: the whole content, less every trailing
/// `\r` and `\n` (lnd's `bytes.TrimRight(pw, "\r\n")`: any number of them,
/// in any mix; spaces, tabs and leading bytes are kept, being part of the
/// password). Unlike lnd, an empty password is refused here with an error
/// naming the file, rather than failing later as a wrong password. The
/// bytes come back in memory wiped on drop.
pub fn read_password_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, SecretsError> {
    let file = File::open(path).map_err(io_err(path))?;
    // Reserved up front so the reads never reallocate and leave a copy of
    // the password in freed memory.
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_PASSWORD_FILE_LEN as usize + 1));
    file.take(MAX_PASSWORD_FILE_LEN + 1)
        .read_to_end(&mut buf)
        .map_err(io_err(path))?;
    if buf.len() as u64 > MAX_PASSWORD_FILE_LEN {
        return Err(SecretsError::PasswordFileTooLarge {
            path: path.to_path_buf(),
            max: MAX_PASSWORD_FILE_LEN,
        });
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    if buf.is_empty() {
        return Err(SecretsError::EmptyPassword {
            path: path.to_path_buf(),
        });
    }
    Ok(buf)
}

// ---------------------------------------------------------------------------
// File modes
// ---------------------------------------------------------------------------

/// What [`ensure_private_dir`] did, so the caller can log a tightening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirState {
    /// The dir (and any missing parents) was created, mode 0700.
    Created,
    /// It existed with group/other bits, now removed; `from` was its mode.
    Tightened {
        /// The permission bits it had.
        from: u32,
    },
    /// It existed and was already private.
    AlreadyPrivate,
}

/// Makes `path` a private directory: creates it (and missing parents, as
/// lnd's `os.MkdirAll(dir, 0700)`) with mode 0700, or, if it exists with
/// any group/other bit, sets it to 0700. Tightening rather than refusing,
/// because the dirs of nodes made before this check are Rayo's own 0755
/// and an upgrade should fix them, not stop; chmod itself refuses a dir
/// that is not ours ([`SecretsError::CannotTighten`]), so another user's
/// dir is never changed (except by root, and then its owner keeps full
/// access).
/// The files inside are still checked strictly, as ssh does for keys.
/// Without Unix modes (Windows), it only creates the dir: the user
/// profile's ACLs already keep it private.
pub fn ensure_private_dir(path: &Path) -> Result<DirState, SecretsError> {
    let created = match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => false,
        Ok(_) => {
            return Err(SecretsError::NotADirectory {
                path: path.to_path_buf(),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            create_dir_0700(path)?;
            true
        }
        Err(e) => return Err(io_err(path)(e)),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(io_err(path))?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(
                |source| SecretsError::CannotTighten {
                    path: path.to_path_buf(),
                    mode,
                    source,
                },
            )?;
            // A created dir cannot get here (umask only removes bits), but
            // say what happened if it does.
            return Ok(DirState::Tightened { from: mode });
        }
    }
    Ok(if created {
        DirState::Created
    } else {
        DirState::AlreadyPrivate
    })
}

fn create_dir_0700(path: &Path) -> Result<(), SecretsError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(io_err(path))
}

/// Checks that a secret-holding file exists, is a regular file, and gives
/// group and others no permission at all, as ssh checks a private key: if
/// it does, the error names the file and the fix (`chmod 600 <path>`).
/// Refusing rather than fixing, because a secret already readable by
/// others may have been read: the operator should know. No-op beyond the
/// existence check without Unix modes.
pub fn check_private_file(path: &Path) -> Result<(), SecretsError> {
    let meta = std::fs::metadata(path).map_err(io_err(path))?;
    if !meta.is_file() {
        return Err(SecretsError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(SecretsError::TooOpen {
                path: path.to_path_buf(),
                mode,
                want: 0o600,
            });
        }
    }
    Ok(())
}

/// Checks the SQLite database and the side files SQLite keeps beside it
/// (`-wal`, `-shm`, `-journal`, each checked if present) with
/// [`check_private_file`]; the database itself must exist.
///
/// How to open the database so that all its files are 0600: SQLite
/// creates a new database file 0644 (less the umask), but it creates the
/// `-wal`, `-shm` and `-journal` files with the mode of the main file
/// (`findCreateFileMode` and `unixOpenSharedMemory` in its `os_unix.c`).
/// So, at startup:
/// 1. [`ensure_private_dir`] on the data dir;
/// 2. [`create_private_file`] on `node.sqlite` (creates it empty, 0600, if
///    missing; SQLite treats an empty file as a new database);
/// 3. [`check_database_files`] on it (refuses a 0644 file left by an older
///    Rayo; run [`tighten_file`] on each file first if migrating those is
///    wanted);
/// 4. then `rusqlite::Connection::open` and `PRAGMA journal_mode=WAL`.
///
/// The `wal_and_shm_inherit_the_database_mode` test checks this.
pub fn check_database_files(db: &Path) -> Result<(), SecretsError> {
    check_private_file(db)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        let side = PathBuf::from(side);
        match check_private_file(&side) {
            Err(SecretsError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(())
}

/// Creates `path` as an empty file with mode 0600 if it does not exist
/// (the mode is given at `open(O_CREAT)`, so there is no window when the
/// file is readable by others, and the umask can only remove bits); an
/// existing file is left as it is, content and mode. For the database
/// before SQLite opens it, and for any secret file Rayo writes.
pub fn create_private_file(path: &Path) -> Result<(), SecretsError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map(drop).map_err(io_err(path))
}

/// Sets mode 0600 on a file Rayo created (or is migrating), whatever the
/// umask made of it. No-op without Unix modes.
pub fn tighten_file(path: &Path) -> Result<(), SecretsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err(path))?;
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).map_err(io_err(path))?;
    }
    Ok(())
}

/// The path as a shell word, so the `chmod` hint can be pasted as it is.
fn shell_quote(path: &Path) -> String {
    let s = path.display().to_string();
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@,%~".contains(&b));
    if plain {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters, so most tests do not pay 64 MiB per derivation.
    const CHEAP: KdfParams = KdfParams {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };
    const WORDS: &str = "abandon abandon abandon abandon abandon abandon abandon abandon \
                         abandon abandon abandon abandon abandon abandon abandon abandon \
                         abandon abandon abandon abandon abandon abandon abandon art";
    const PASSWORD: &[u8] = b"correct horse battery";
    const SALT: [u8; 16] = [0x11; 16];
    const NONCE: [u8; 12] = [0x22; 12];

    fn cheap_blob() -> Vec<u8> {
        encrypt_seed_with_params(WORDS, PASSWORD, SALT, NONCE, CHEAP).unwrap()
    }

    /// Replaces the trailing checksum so a crafted blob passes it.
    fn reseal(blob: &mut Vec<u8>) {
        blob.truncate(blob.len() - CHECKSUM_LEN);
        let sum = checksum(blob);
        blob.extend_from_slice(&sum);
    }

    #[test]
    fn secrets_round_trip_with_default_params() {
        let blob = encrypt_seed(WORDS, PASSWORD, SALT, NONCE).unwrap();
        assert_eq!(blob.len(), MIN_BLOB_LEN + WORDS.len());
        assert_eq!(&blob[..5], b"RYSD\x01");
        assert_eq!(&blob[5..17], &[0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1]);
        assert!(!blob.windows(7).any(|w| w == b"abandon"));
        assert_eq!(decrypt_seed(&blob, PASSWORD).unwrap().as_str(), WORDS);
        assert!(matches!(
            decrypt_seed(&blob, b"correct horse battery!"),
            Err(SecretsError::WrongPassword)
        ));
    }

    #[test]
    fn secrets_round_trip_is_deterministic_and_keeps_its_params() {
        let blob = cheap_blob();
        assert_eq!(blob, cheap_blob());
        assert_eq!(&blob[17..33], &SALT);
        assert_eq!(&blob[33..45], &NONCE);
        assert_eq!(decrypt_seed(&blob, PASSWORD).unwrap().as_str(), WORDS);
        // A salt or nonce of its own gives another ciphertext.
        let other = encrypt_seed_with_params(WORDS, PASSWORD, [0x12; 16], NONCE, CHEAP).unwrap();
        assert_ne!(blob[HEADER_LEN..], other[HEADER_LEN..]);
        // Empty and non-ASCII text survive too.
        for text in ["", "ñandú 🦤 seed"] {
            let b = encrypt_seed_with_params(text, PASSWORD, SALT, NONCE, CHEAP).unwrap();
            assert_eq!(decrypt_seed(&b, PASSWORD).unwrap().as_str(), text);
        }
    }

    /// Pins the format: blobs written today must open forever. The tail
    /// (ciphertext, tag, checksum) was checked against an independent
    /// implementation: Python `cryptography` 48 (OpenSSL's Argon2id and
    /// ChaCha20-Poly1305) over the same header, password, salt and nonce.
    #[test]
    fn secrets_format_vector() {
        let blob =
            encrypt_seed_with_params("abandon art", b"password", [0; 16], [0; 12], CHEAP).unwrap();
        let hex: String = blob.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            &hex[..90],
            concat!(
                "52595344",
                "01",
                "00000040",
                "00000001",
                "00000001",
                "00000000000000000000000000000000",
                "000000000000000000000000",
            )
        );
        assert_eq!(hex.len(), 2 * (MIN_BLOB_LEN + 11));
        assert_eq!(&hex[90..], PINNED_TAIL);
        assert_eq!(
            decrypt_seed(&blob, b"password").unwrap().as_str(),
            "abandon art"
        );
    }
    const PINNED_TAIL: &str = "a7f2fa8706d7c409da9684916ee57db0df07b59679c06555d8c19f720e689a";

    #[test]
    fn secrets_wrong_password() {
        let blob = cheap_blob();
        for wrong in [
            &b""[..],
            b"correct horse batter",
            b"Correct horse battery",
            b"x",
        ] {
            assert!(matches!(
                decrypt_seed(&blob, wrong),
                Err(SecretsError::WrongPassword)
            ));
        }
        let msg = SecretsError::WrongPassword.to_string();
        assert_eq!(msg, "wrong wallet password");
    }

    #[test]
    fn secrets_every_truncation_is_corrupt() {
        let blob = cheap_blob();
        for len in 0..blob.len() {
            match decrypt_seed(&blob[..len], PASSWORD) {
                Err(SecretsError::Corrupt { .. }) => {}
                other => panic!("truncated to {len}: {other:?}"),
            }
        }
        // And one byte too many.
        let mut longer = blob.clone();
        longer.push(0);
        assert!(matches!(
            decrypt_seed(&longer, PASSWORD),
            Err(SecretsError::Corrupt { .. })
        ));
    }

    #[test]
    fn secrets_every_flipped_byte_is_corrupt() {
        let blob = cheap_blob();
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x40;
            match decrypt_seed(&bad, PASSWORD) {
                Err(SecretsError::Corrupt { .. }) => {}
                other => panic!("byte {i} flipped: {other:?}"),
            }
        }
    }

    #[test]
    fn secrets_altered_blob_with_recomputed_checksum_fails_the_tag() {
        let blob = cheap_blob();
        // Each header field is bound as associated data, the ciphertext by
        // the tag itself.
        for i in [
            5 + 3,
            9 + 3,
            17,
            40,
            HEADER_LEN,
            blob.len() - CHECKSUM_LEN - 1,
        ] {
            let mut bad = blob.clone();
            bad[i] ^= 0x02;
            reseal(&mut bad);
            assert!(
                matches!(
                    decrypt_seed(&bad, PASSWORD),
                    Err(SecretsError::WrongPassword)
                ),
                "byte {i}"
            );
        }
    }

    #[test]
    fn secrets_huge_kdf_claims_are_corrupt_without_allocating() {
        let blob = cheap_blob();
        // Each claim, if believed, would reserve terabytes or run for
        // hours; each is refused before derive_key runs.
        let claims: [(usize, u32); 5] = [
            (5, u32::MAX), // 4 TiB of memory
            (5, KdfParams::MAX.m_cost_kib + 1),
            (9, u32::MAX),  // 4 billion passes
            (13, u32::MAX), // lanes
            (5, 0),         // below argon2's minimum
        ];
        for (at, value) in claims {
            let mut bad = blob.clone();
            bad[at..at + 4].copy_from_slice(&value.to_be_bytes());
            reseal(&mut bad);
            let started = std::time::Instant::now();
            match decrypt_seed(&bad, PASSWORD) {
                Err(SecretsError::Corrupt { reason }) => assert!(reason.contains("parameters")),
                other => panic!("field at {at} = {value}: {other:?}"),
            }
            assert!(started.elapsed() < std::time::Duration::from_secs(1));
        }
        // 8 lanes need 64 KiB: 16 KiB with 8 lanes is refused.
        let mut bad = blob.clone();
        bad[5..9].copy_from_slice(&16u32.to_be_bytes());
        bad[13..17].copy_from_slice(&8u32.to_be_bytes());
        reseal(&mut bad);
        assert!(matches!(
            decrypt_seed(&bad, PASSWORD),
            Err(SecretsError::Corrupt { .. })
        ));
    }

    #[test]
    fn secrets_unknown_version_and_magic() {
        let mut newer = cheap_blob();
        newer[4] = 2;
        reseal(&mut newer);
        assert!(matches!(
            decrypt_seed(&newer, PASSWORD),
            Err(SecretsError::UnsupportedVersion(2))
        ));
        assert!(matches!(
            decrypt_seed(WORDS.as_bytes(), PASSWORD),
            Err(SecretsError::Corrupt { .. })
        ));
    }

    #[test]
    fn secrets_encrypt_refuses_bad_input() {
        assert!(matches!(
            encrypt_seed_with_params(WORDS, b"1234567", SALT, NONCE, CHEAP),
            Err(SecretsError::PasswordTooShort { min: 8 })
        ));
        let long = "a".repeat(MAX_SEED_LEN + 1);
        assert!(matches!(
            encrypt_seed_with_params(&long, PASSWORD, SALT, NONCE, CHEAP),
            Err(SecretsError::SeedTooLong { .. })
        ));
        let exact = "a".repeat(MAX_SEED_LEN);
        let blob = encrypt_seed_with_params(&exact, PASSWORD, SALT, NONCE, CHEAP).unwrap();
        assert_eq!(blob.len(), MAX_BLOB_LEN);
        assert_eq!(decrypt_seed(&blob, PASSWORD).unwrap().as_str(), exact);
        let too_big = KdfParams {
            m_cost_kib: KdfParams::MAX.m_cost_kib * 2,
            ..CHEAP
        };
        assert!(matches!(
            encrypt_seed_with_params(WORDS, PASSWORD, SALT, NONCE, too_big),
            Err(SecretsError::BadKdfParams(_))
        ));
    }

    fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn secrets_password_file_trims_like_lnd() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[u8], &[u8]); 7] = [
            (b"hunter22", b"hunter22"),
            (b"hunter22\n", b"hunter22"),
            (b"hunter22\r\n", b"hunter22"),
            (b"hunter22\n\r\n\n", b"hunter22"),
            // Spaces and tabs are part of the password, as in lnd.
            (b" hunter22 \t\n", b" hunter22 \t"),
            // Only trailing newlines go; inner and leading ones stay.
            (b"\nhunter\n22\n", b"\nhunter\n22"),
            (&[0xff, 0x00, b'p', b'\n'], &[0xff, 0x00, b'p']),
        ];
        for (i, (content, want)) in cases.iter().enumerate() {
            let path = write(dir.path(), &format!("pw{i}"), content);
            assert_eq!(
                read_password_file(&path).unwrap().as_slice(),
                *want,
                "case {i}"
            );
        }
    }

    #[test]
    fn secrets_password_file_refusals() {
        let dir = tempfile::tempdir().unwrap();
        for (name, content) in [("empty", &b""[..]), ("newlines", b"\n\r\n\n")] {
            let path = write(dir.path(), name, content);
            let err = read_password_file(&path).unwrap_err();
            assert!(matches!(err, SecretsError::EmptyPassword { .. }), "{name}");
            let msg = err.to_string();
            assert!(
                msg.contains(&path.display().to_string()) && msg.contains("empty"),
                "{msg}"
            );
        }
        let big = write(
            dir.path(),
            "big",
            &vec![b'a'; MAX_PASSWORD_FILE_LEN as usize + 1],
        );
        assert!(matches!(
            read_password_file(&big),
            Err(SecretsError::PasswordFileTooLarge { .. })
        ));
        let max = write(
            dir.path(),
            "max",
            &vec![b'a'; MAX_PASSWORD_FILE_LEN as usize],
        );
        assert_eq!(
            read_password_file(&max).unwrap().len(),
            MAX_PASSWORD_FILE_LEN as usize
        );
        let missing = dir.path().join("nope");
        let msg = read_password_file(&missing).unwrap_err().to_string();
        assert!(msg.contains("nope"), "{msg}");
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[cfg(unix)]
    fn chmod(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn secrets_private_file_modes() {
        let dir = tempfile::tempdir().unwrap();
        let db = write(dir.path(), "node.sqlite", b"");
        chmod(&db, 0o644);
        let err = check_private_file(&db).unwrap_err();
        assert!(matches!(err, SecretsError::TooOpen { mode: 0o644, .. }));
        let msg = err.to_string();
        assert!(msg.contains("0644"), "{msg}");
        assert!(
            msg.contains(&format!("chmod 600 {}", db.display())),
            "{msg}"
        );
        for too_open in [0o640, 0o604, 0o601, 0o610, 0o660] {
            chmod(&db, too_open);
            assert!(check_private_file(&db).is_err(), "{too_open:o}");
        }
        for fine in [0o600, 0o400, 0o700] {
            chmod(&db, fine);
            check_private_file(&db).unwrap();
        }
        chmod(&db, 0o644);
        tighten_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        check_private_file(&db).unwrap();

        // Not a file, missing.
        assert!(matches!(
            check_private_file(dir.path()),
            Err(SecretsError::NotAFile { .. })
        ));
        assert!(matches!(
            check_private_file(&dir.path().join("missing")),
            Err(SecretsError::Io { .. })
        ));

        // A path with a space gets a hint that pastes into a shell.
        let spaced = write(dir.path(), "my node.sqlite", b"");
        chmod(&spaced, 0o644);
        let msg = check_private_file(&spaced).unwrap_err().to_string();
        assert!(
            msg.contains(&format!("chmod 600 '{}'", spaced.display())),
            "{msg}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn secrets_create_private_file_and_database_side_files() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("node.sqlite");
        create_private_file(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        // An existing file keeps its content.
        std::fs::write(&db, b"x").unwrap();
        create_private_file(&db).unwrap();
        assert_eq!(std::fs::read(&db).unwrap(), b"x");
        std::fs::write(&db, b"").unwrap();

        check_database_files(&db).unwrap();
        let wal = write(dir.path(), "node.sqlite-wal", b"");
        chmod(&wal, 0o644);
        let msg = check_database_files(&db).unwrap_err().to_string();
        assert!(
            msg.contains(&format!("chmod 600 {}", wal.display())),
            "{msg}"
        );
        chmod(&wal, 0o600);
        check_database_files(&db).unwrap();
        assert!(check_database_files(&dir.path().join("absent.sqlite")).is_err());
    }

    /// The recipe of [`check_database_files`]: a 0600 database gets 0600
    /// `-wal` and `-shm` files from SQLite itself.
    #[cfg(unix)]
    #[test]
    fn secrets_wal_and_shm_inherit_the_database_mode() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("node");
        ensure_private_dir(&data).unwrap();
        let db = data.join("node.sqlite");
        create_private_file(&db).unwrap();
        check_database_files(&db).unwrap();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let journal: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
            .unwrap();
        for side in ["node.sqlite-wal", "node.sqlite-shm"] {
            assert_eq!(mode(&data.join(side)), 0o600, "{side}");
        }
        check_database_files(&db).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn secrets_private_dir_modes() {
        let dir = tempfile::tempdir().unwrap();
        // Missing, with a missing parent: both made 0700.
        let nested = dir.path().join("home").join("node");
        assert_eq!(ensure_private_dir(&nested).unwrap(), DirState::Created);
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&dir.path().join("home")), 0o700);
        assert_eq!(
            ensure_private_dir(&nested).unwrap(),
            DirState::AlreadyPrivate
        );
        // An existing 0755 dir (what older Rayo made) is tightened.
        chmod(&nested, 0o755);
        assert_eq!(
            ensure_private_dir(&nested).unwrap(),
            DirState::Tightened { from: 0o755 }
        );
        assert_eq!(mode(&nested), 0o700);
        // A file where the dir should be.
        let file = write(dir.path(), "file", b"");
        assert!(matches!(
            ensure_private_dir(&file),
            Err(SecretsError::NotADirectory { .. })
        ));
    }

    #[test]
    fn secrets_shell_quote() {
        assert_eq!(
            shell_quote(Path::new("/home/a/.rayo/node.sqlite")),
            "/home/a/.rayo/node.sqlite"
        );
        assert_eq!(shell_quote(Path::new("/x/it's here")), r"'/x/it'\''s here'");
    }
}
