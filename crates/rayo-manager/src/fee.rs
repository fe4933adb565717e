//! `update_fee` as funder: when the chain's estimate drifts far from a
//! channel's commitment fee rate, the funder moves it (BOLT 2: the funder
//! keeps the rate sufficient for timely processing). Rayo never sends it
//! as fundee.

use rayo_channel::commitment::Side;

use crate::manager::Manager;
use crate::record::ChannelPhase;

/// How far (in percent of the current rate) the estimate must drift
/// before we send `update_fee`: small moves are noise, and each update
/// costs a round of the dance.
pub const FEE_UPDATE_THRESHOLD_PERCENT: u64 = 25;

impl Manager {
    /// A new estimate: every usable channel we fund whose rate is off by
    /// more than the threshold gets `update_fee` (within our policy's range,
    /// and only what our balance can pay).
    pub(crate) fn fee_estimate(&mut self, estimate: u32) {
        let (low, high) = self.config.policy.feerate_range;
        let target = estimate.clamp(low, high);
        let due: Vec<_> = self
            .channels
            .iter()
            .filter_map(|(id, c)| match &c.phase {
                ChannelPhase::Funded(f)
                    if f.failure.is_none()
                        && f.is_usable()
                        && f.phase.setup.opener == Side::Local
                        && f.phase.commitments.link_ready =>
                {
                    let current = u64::from(f.phase.pending_feerate());
                    let drift = current.abs_diff(u64::from(target)) * 100;
                    (drift > current * FEE_UPDATE_THRESHOLD_PERCENT).then_some((*id, c.peer))
                }
                _ => None,
            })
            .collect();
        for (id, peer) in due {
            let (Ok(mut channel), Ok(keys)) =
                (self.funded_with(peer, id, "update_fee"), self.keys_of(id))
            else {
                continue;
            };
            match channel.phase.update_fee(target) {
                Ok(message) => {
                    tracing::info!(channel = %id, feerate_per_kw = target, "updating the commitment fee rate");
                    if let Some(message) = message {
                        self.send(peer, message);
                    }
                    self.sign_and_store(peer, id, channel, &keys);
                }
                Err(e) => {
                    tracing::info!(channel = %id, error = %e, "commitment fee rate not updated")
                }
            }
        }
    }
}
