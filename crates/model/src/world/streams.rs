//! The registry of random-stream kinds: every stochastic process of the model, world- and
//! operator-side, with the number that selects its stream.
//!
//! A stream is keyed by (seed, replication, kind, instance) ([`pivotsim_engine::stream`]), so a
//! kind's number is part of every result: renumbering one changes the futures of every seed,
//! and two processes sharing a number would draw the same futures. All kinds are declared here,
//! once, and tests check that the numbers are distinct and pinned.

use rand::rngs::ChaCha8Rng;

use pivotsim_engine::{ProcessId, stream};

/// Declares [`StreamKind`] and its list [`StreamKind::ALL`] from one table, so no kind can be
/// left out of the list the tests check.
macro_rules! stream_kinds {
    ($($(#[doc = $doc:literal])+ $name:ident = $id:literal,)+) => {
        /// A kind of stochastic process; its number selects the random stream. Never renumber.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum StreamKind {
            $($(#[doc = $doc])+ $name = $id,)+
        }

        impl StreamKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [StreamKind] = &[$(StreamKind::$name,)+];
        }
    };
}

stream_kinds! {
    /// BTC price: diffusion and jumps. World.
    BtcPrice = 1,
    /// Network hashrate noise. World.
    NetworkHashrate = 2,
    /// Block arrivals and the times of retarget and halving boundaries. World.
    Blocks = 3,
    /// Fees per block and fee-spike regimes. World.
    Fees = 4,
    /// The hourly energy price. World.
    EnergyPrice = 5,
    /// AI-market regime switching (boom and bust). World.
    AiRegime = 6,
    /// AI inquiry arrivals and their attributes. World.
    Inquiries = 7,
    /// The daily GPU-hour price. World.
    GpuPrice = 8,
    /// A tenant's life after signing: default, renewals (instance = inquiry index). Keyed by
    /// the inquiry, not the plan, so a tenant behaves the same under every plan that signs it.
    Tenant = 9,
    /// An anchor tenant's life after signing (instance = action index). Operator-side.
    AnchorTenant = 10,
    /// The floating base rate of the debts. World.
    BaseRate = 11,
    /// Grid outages of a site (instance = site index). World.
    GridOutages = 12,
    /// Cooling failures of a hall (instance = hall index). World.
    CoolingFailures = 13,
    /// Failures of operator-owned GPUs (instance = deployment index). Operator-side.
    GpuFailures = 14,
    /// Generator failures during a site's traced outages (instance = site index). World.
    TraceOutages = 15,
    /// The efficiency frontier of new mining machines. World.
    EfficiencyFrontier = 16,
    /// A later phase of an anchor deal: its renewals (instance = action index × 64 + phase).
    /// Operator-side.
    AnchorPhase = 20,
    /// A conversion's delay and cost overrun (instance = hall index), keyed by the hall so
    /// plans converting the same hall draw the same luck. Operator-side.
    ConstructionRisk = 21,
    /// A campus tenant's lease in a further hall: its renewals (instance = inquiry index × 64
    /// + piece). Operator-side.
    TenantPhase = 22,
    /// ASIC failures of a fleet (instance = fleet index). Operator-side.
    AsicFailures = 100,
    /// A hosting client's default clock (instance = its action's index in the file).
    /// Operator-side.
    HostingClient = 105,
}

impl StreamKind {
    /// The number that selects this kind's streams.
    pub const fn id(self) -> u16 {
        self as u16
    }

    /// Instance `instance` of this kind.
    pub const fn process(self, instance: u16) -> ProcessId {
        ProcessId::new(self.id(), instance)
    }
}

/// The streams of one replication: every process draws from `(seed, replication, kind,
/// instance)` and nothing else, so plans share the world's futures and adding a process
/// shifts no other's draws.
///
/// With antithetic futures, replications come in pairs (2k, 2k + 1). The processes whose
/// normal draws are mirrored (the BTC price, the network's hashrate noise and frontier, the
/// energy price) take the odd member's stream from the even one, [`Streams::mirrored_stream`],
/// and multiply each standard normal they draw by [`Streams::normal_sign`] (−1 in the odd
/// member). Everything else they draw from that stream (jump counts, spike starts and
/// lengths) is the same in the pair. Since antithetic stream version 2 the AI market (its
/// regimes and inquiries) also reads the even member's streams, and so do the operator's
/// construction luck and tenants' lives ([`paired_stream`]), with every draw x mapped to
/// F⁻¹(1 − F(x)). Every other stream stays keyed by the replication's own index, so it is
/// independent between the two: sharing it unmirrored would only add a perfectly positive
/// correlation to the pair and widen its mean's interval.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Streams {
    seed: u64,
    replication: u64,
    antithetic: bool,
}

impl Streams {
    /// The streams of replication `replication` under root seed `seed`.
    pub fn new(seed: u64, replication: u64) -> Self {
        Streams {
            seed,
            replication,
            antithetic: false,
        }
    }

    /// The same streams, in antithetic pairs when `on`.
    pub fn with_antithetic(self, on: bool) -> Self {
        Streams {
            antithetic: on,
            ..self
        }
    }

    /// Whether this replication is the odd member of an antithetic pair, whose mirrored
    /// processes negate the even member's normal draws.
    pub fn is_mirror(self) -> bool {
        self.antithetic && self.replication % 2 == 1
    }

    /// The factor of every standard normal a mirrored process draws: −1 in the odd member of
    /// an antithetic pair, else 1 (a multiplication by 1 leaves every bit).
    pub fn normal_sign(self) -> f64 {
        if self.is_mirror() { -1.0 } else { 1.0 }
    }

    /// The stream of a process whose normal draws are mirrored (instance 0): the even
    /// member's stream in an antithetic pair, else this replication's own.
    pub fn mirrored_stream(self, kind: StreamKind) -> ChaCha8Rng {
        let replication = if self.is_mirror() {
            self.replication - 1
        } else {
            self.replication
        };
        stream(self.seed, replication, kind.process(0))
    }

    /// The stream of the single process of `kind` (instance 0).
    pub fn of(self, kind: StreamKind) -> ChaCha8Rng {
        stream(self.seed, self.replication, kind.process(0))
    }

    /// The stream of the `index`-th process of `kind` (a site, a hall, a tenant). Indices past
    /// `u16::MAX` share the last instance, which no valid scenario reaches.
    pub fn instance(self, kind: StreamKind, index: usize) -> ChaCha8Rng {
        let instance = u16::try_from(index).unwrap_or(u16::MAX);
        stream(self.seed, self.replication, kind.process(instance))
    }
}

/// The stream of an operator-side process whose draws are mirrored in an antithetic pair
/// (antithetic stream version 2: a hall's construction delay and overrun, a tenant's or an
/// anchor deal's default clock and renewal draws), and whether this replication mirrors
/// them: the odd member of a pair reads the even member's stream of the same kind and
/// instance and maps each draw x to F⁻¹(1 − F(x)) ([`crate::world::samplers::mirror_sample`]).
/// Off, or in the even member, it is exactly [`tenant_stream`].
pub fn paired_stream(
    seed: u64,
    replication: u64,
    antithetic: bool,
    kind: StreamKind,
    index: usize,
) -> (ChaCha8Rng, bool) {
    let streams = Streams::new(seed, replication).with_antithetic(antithetic);
    let mirror = streams.is_mirror();
    let keyed_by = if mirror { replication - 1 } else { replication };
    (tenant_stream(seed, keyed_by, kind, index), mirror)
}

/// The stream of a tenant's life after signing: instance `index` of `kind` ([`StreamKind::Tenant`]
/// by inquiry, [`StreamKind::AnchorTenant`] by action).
pub fn tenant_stream(seed: u64, replication: u64, kind: StreamKind, index: usize) -> ChaCha8Rng {
    Streams::new(seed, replication).instance(kind, index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// The number each kind had when it was introduced. Exhaustive, so a new kind must be
    /// pinned here; a changed number fails the test.
    fn pinned(kind: StreamKind) -> u16 {
        match kind {
            StreamKind::BtcPrice => 1,
            StreamKind::NetworkHashrate => 2,
            StreamKind::Blocks => 3,
            StreamKind::Fees => 4,
            StreamKind::EnergyPrice => 5,
            StreamKind::AiRegime => 6,
            StreamKind::Inquiries => 7,
            StreamKind::GpuPrice => 8,
            StreamKind::Tenant => 9,
            StreamKind::AnchorTenant => 10,
            StreamKind::BaseRate => 11,
            StreamKind::GridOutages => 12,
            StreamKind::CoolingFailures => 13,
            StreamKind::GpuFailures => 14,
            StreamKind::TraceOutages => 15,
            StreamKind::EfficiencyFrontier => 16,
            StreamKind::AnchorPhase => 20,
            StreamKind::ConstructionRisk => 21,
            StreamKind::TenantPhase => 22,
            StreamKind::AsicFailures => 100,
            StreamKind::HostingClient => 105,
        }
    }

    #[test]
    fn stream_kinds_are_unique() {
        let ids: HashSet<u16> = StreamKind::ALL.iter().map(|k| k.id()).collect();
        assert_eq!(ids.len(), StreamKind::ALL.len());
    }

    #[test]
    fn stream_kinds_keep_their_numbers() {
        assert_eq!(StreamKind::ALL.len(), 21);
        for &kind in StreamKind::ALL {
            assert_eq!(kind.id(), pinned(kind), "{kind:?} was renumbered");
        }
    }

    #[test]
    fn antithetic_pairs_share_the_mirrored_streams_only() {
        let first = |mut r: ChaCha8Rng| rand::Rng::next_u64(&mut r);
        let (even, odd) = (
            Streams::new(7, 4).with_antithetic(true),
            Streams::new(7, 5).with_antithetic(true),
        );
        // The odd member reads the even member's price stream with the sign flipped ...
        assert_eq!(
            first(odd.mirrored_stream(StreamKind::BtcPrice)),
            first(even.mirrored_stream(StreamKind::BtcPrice))
        );
        assert_eq!((even.normal_sign(), odd.normal_sign()), (1.0, -1.0));
        // ... and its own stream for everything else.
        assert_ne!(
            first(odd.of(StreamKind::Blocks)),
            first(even.of(StreamKind::Blocks))
        );
        // Off, and for the even member, a mirrored stream is the replication's own.
        let off = Streams::new(7, 5);
        assert_eq!(
            first(off.mirrored_stream(StreamKind::BtcPrice)),
            first(off.of(StreamKind::BtcPrice))
        );
        assert_eq!(
            first(even.mirrored_stream(StreamKind::EnergyPrice)),
            first(Streams::new(7, 4).of(StreamKind::EnergyPrice))
        );
        assert_eq!(off.normal_sign(), 1.0);
    }

    #[test]
    fn an_operator_stream_of_a_pair_is_the_even_members_and_off_is_its_own() {
        let first = |(mut r, mirror): (ChaCha8Rng, bool)| (rand::Rng::next_u64(&mut r), mirror);
        let own = |replication| {
            first((
                tenant_stream(7, replication, StreamKind::AnchorTenant, 3),
                false,
            ))
        };
        // Off, and in the even member, exactly `tenant_stream`, unmirrored.
        assert_eq!(
            first(paired_stream(7, 5, false, StreamKind::AnchorTenant, 3)),
            own(5)
        );
        assert_eq!(
            first(paired_stream(7, 4, true, StreamKind::AnchorTenant, 3)),
            own(4)
        );
        // The odd member reads replication 4's stream, to be mirrored.
        assert_eq!(
            first(paired_stream(7, 5, true, StreamKind::AnchorTenant, 3)),
            (own(4).0, true)
        );
    }

    #[test]
    fn an_instance_selects_the_stream_of_its_process_id() {
        // Instance 0 is the single process; an index past u16::MAX saturates.
        let streams = Streams::new(7, 3);
        let first = |mut r: ChaCha8Rng| rand::Rng::next_u64(&mut r);
        let direct = |kind: StreamKind, instance: u16| {
            first(stream(7, 3, ProcessId::new(pinned(kind), instance)))
        };
        assert_eq!(
            first(streams.of(StreamKind::Fees)),
            direct(StreamKind::Fees, 0)
        );
        assert_eq!(
            first(streams.instance(StreamKind::GridOutages, 4)),
            direct(StreamKind::GridOutages, 4)
        );
        assert_eq!(
            first(tenant_stream(7, 3, StreamKind::Tenant, 1 << 20)),
            direct(StreamKind::Tenant, u16::MAX)
        );
    }
}
