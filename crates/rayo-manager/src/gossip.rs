//! BOLT 7 gossip queries, answered as a node without a network graph: every
//! `query_channel_range` gets replies covering the range it asked for, with
//! no channels in them, and every `query_short_channel_ids` its
//! `reply_short_channel_ids_end` saying our information is not complete.
//! Peers that require `gossip_queries` (Electrum) can then talk to us.

use bitcoin::secp256k1::PublicKey;
use rayo_wire::gossip::{
    QueryChannelRange, QueryShortChannelIds, ReplyChannelRange, ReplyShortChannelIdsEnd,
};
use rayo_wire::message::Message;

use crate::manager::Manager;

impl Manager {
    /// Answers a gossip query from `peer`; other gossip is ignored.
    pub(crate) fn on_gossip_query(&mut self, peer: PublicKey, message: &Message) {
        match message {
            Message::QueryChannelRange(query) => self.answer_channel_range(peer, query),
            Message::QueryShortChannelIds(query) => self.answer_short_channel_ids(peer, query),
            _ => {}
        }
    }

    fn answer_channel_range(&mut self, peer: PublicKey, query: &QueryChannelRange) {
        for reply in ReplyChannelRange::for_query(query, &[]) {
            self.send(peer, Message::ReplyChannelRange(reply));
        }
    }

    fn answer_short_channel_ids(&mut self, peer: PublicKey, query: &QueryShortChannelIds) {
        // BOLT 7: a node that does not keep channel information for the
        // chain sets `full_information` to 0.
        self.send(
            peer,
            Message::ReplyShortChannelIdsEnd(ReplyShortChannelIdsEnd {
                chain_hash: query.chain_hash,
                full_information: false,
            }),
        );
    }
}
