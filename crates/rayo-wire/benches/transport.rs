//! BOLT 8 speed: encrypting and decrypting 1 KiB frames, and one full
//! three-act handshake (both sides, including the ECDH operations).
#![allow(missing_docs)] // criterion_group! generates an undocumented function

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayo_wire::noise::{InitiatorAwaitingActTwo, ResponderAwaitingActOne, Transport};
use rayo_wire::secp256k1::{Secp256k1, SecretKey};

fn key(byte: u8) -> SecretKey {
    SecretKey::from_slice(&[byte; 32]).unwrap()
}

fn frames(c: &mut Criterion) {
    let secp = Secp256k1::new();
    let pk = key(1).public_key(&secp);
    let mut sender = Transport::new(pk, [1; 32], [2; 32], [3; 32]);
    let mut receiver = Transport::new(pk, [1; 32], [3; 32], [2; 32]);
    let msg = vec![0x5a; 1024];
    let mut wire = Vec::with_capacity(2048);
    let mut group = c.benchmark_group("transport");
    group.throughput(Throughput::Bytes(msg.len() as u64));
    group.bench_function("encrypt+decrypt 1 KiB frame", |b| {
        b.iter(|| {
            wire.clear();
            sender.encryptor.encrypt_into(&msg, &mut wire).unwrap();
            receiver.decryptor.feed(&wire);
            receiver.decryptor.next_message().unwrap().unwrap()
        })
    });
    group.finish();
}

fn handshake(c: &mut Criterion) {
    let secp = Secp256k1::new();
    let responder_static = key(0x21);
    let responder_pub = responder_static.public_key(&secp);
    c.bench_function("handshake (acts 1-3, both sides)", |b| {
        b.iter(|| {
            let (initiator, act_one) =
                InitiatorAwaitingActTwo::start(&secp, key(0x11), key(0x12), responder_pub);
            let responder = ResponderAwaitingActOne::new(&secp, responder_static, key(0x22));
            let (responder, act_two) = responder.process_act_one(&act_one).unwrap();
            let (_, act_three) = initiator.process_act_two(&act_two).unwrap();
            responder.process_act_three(&act_three).unwrap()
        })
    });
}

criterion_group!(benches, frames, handshake);
criterion_main!(benches);
