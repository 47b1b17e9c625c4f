//! Tenants: inquiries finding capacity (or not), and leases from signing to their end.
//!
//! An inquiry takes GPU-ready capacity that meets its cooling, density, rack, MW and site-grid
//! needs, chosen by the plan's placement policy. A hall still converting counts if it will be
//! ready by the lease's start (tenants sign ahead of delivery). Without room it waits up to its
//! patience, retried whenever capacity frees up, and is then lost. A signed lease reserves its
//! capacity at once, bills from its start (ramping up if configured), escalates each year,
//! may default by a hazard that follows the AI regime, and at its end renews with a probability
//! at the market price, or leaves the capacity vacant.

use std::collections::VecDeque;

use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, Exp1};

use crate::compiled::{ActionSpec, DeliveryMilestoneSpec, HallShape, TimedAction};
use crate::operator::accrual::{ProjectRates, Rates};
use crate::operator::{CloudState, Flow, HallRuntime, HallUse, Operator, OperatorEvent};
use crate::placement;
use crate::world::World;
use crate::world::samplers::mirror_exp1;
use crate::world::streams::{StreamKind, paired_stream};
use pivotsim_engine::{EventQueue, SimTime};
use pivotsim_engine::{SECONDS_PER_AVG_MONTH, SECONDS_PER_HOUR, SECONDS_PER_YEAR};
use pivotsim_scenario::{Cooling, PowerTerms, RenewalOptions, RenewalRent, Sla};

/// Where an inquiry stands under this plan.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InquiryStatus {
    /// Not arrived yet.
    NotYet,
    /// Waiting for capacity.
    Waiting,
    /// Placed (signed).
    Placed,
    /// Lost.
    Lost,
}

/// Where a lease stands.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LeaseState {
    /// Signed; capacity reserved; not billing yet.
    Signed,
    /// Due to start but its hall is not GPU-ready yet: starts when the conversion finishes.
    WaitingForHall,
    /// Billing.
    Billing,
    /// Over (term ended without renewal, or the tenant defaulted).
    Ended,
}

/// A colocation lease.
#[derive(Debug)]
pub struct Lease {
    /// Global hall index.
    pub hall: usize,
    /// Contracted capacity, MW IT.
    pub mw: f64,
    /// Racks reserved.
    pub racks: u64,
    /// Current rent, USD per kW-month.
    pub price: f64,
    /// Annual escalator.
    pub escalator: f64,
    /// Whether the operator pays the tenant's energy.
    pub power_included: bool,
    /// Share of the contracted capacity billed (ramp).
    pub billed_share: f64,
    /// Ramp steps taken.
    pub ramp_step: u32,
    /// Term, seconds.
    pub term_secs: u64,
    /// End of the current term (once billing).
    pub end: SimTime,
    /// The tenant's price relative to the market level, for renewals.
    pub price_factor: f64,
    /// State.
    pub state: LeaseState,
    /// Downtime this month, seconds (weighted by the share down).
    pub downtime_secs: f64,
    /// The next anniversary of the term's start, when the escalator applies.
    pub next_escalation: SimTime,
    /// When the tenant defaulted, if it did.
    pub defaulted_at: Option<SimTime>,
    /// Prepaid rent not yet credited against billed rent, USD.
    pub prepaid_left: f64,
    /// Seconds from its start during which it bills nothing (free rent).
    pub free_rent_secs: u64,
    /// When its free rent ends (set at its start).
    pub rent_from: SimTime,
    /// The tenant's credit class, if any.
    pub class: Option<usize>,
    /// Its value as signed, USD: the initial term's rent with escalators.
    pub contract_value_usd: f64,
    /// The deal it belongs to: the index of the deal's first lease (itself for a one-phase
    /// lease). A deal's tenant defaults once, for all its phases.
    pub deal: usize,
    /// Its contracted start (delivery date): late when its hall is not ready then.
    pub due: SimTime,
    /// Delivery terms (liquidated damages, cancellation), if agreed.
    pub milestone: Option<DeliveryMilestoneSpec>,
    /// Months it ramps over from its start.
    pub ramp_months: u32,
    /// Whether it started after its contracted start (its hall was late).
    pub delivered_late: bool,
    /// Its rent at signing (year 1), USD per kW-month.
    pub year1_rent: f64,
    /// Renewal options not yet used: (options left, the terms of each).
    pub renewal_options: Option<(u32, RenewalOptions)>,
    /// The tenant's own random stream (default clock, renewal draws).
    rng: ChaCha8Rng,
    /// Whether its draws mirror the even member's of an antithetic pair (`paired_stream`):
    /// its default clock E becomes −ln(1 − e^(−E)), a renewal uniform U becomes 1 − U.
    mirrored: bool,
}

impl Lease {
    /// What it bills now, USD per month: its billed MW at its rent, nothing during free rent.
    pub fn rent_usd_per_month(&self, now: SimTime) -> f64 {
        if now < self.rent_from {
            0.0
        } else {
            self.mw * self.billed_share * 1_000.0 * self.price
        }
    }

    /// A lease just signed: capacity promised, not billing yet, no escalator, power passed
    /// through and the market price factor 1 until the caller sets them.
    fn signed(
        hall: usize,
        mw: f64,
        racks: u64,
        price: f64,
        term_secs: u64,
        (rng, mirrored): (ChaCha8Rng, bool),
    ) -> Self {
        Lease {
            hall,
            mw,
            racks,
            price,
            escalator: 0.0,
            power_included: false,
            billed_share: 0.0,
            ramp_step: 0,
            term_secs,
            end: SimTime::MAX,
            price_factor: 1.0,
            state: LeaseState::Signed,
            downtime_secs: 0.0,
            next_escalation: SimTime::MAX,
            defaulted_at: None,
            prepaid_left: 0.0,
            free_rent_secs: 0,
            rent_from: SimTime::ZERO,
            class: None,
            contract_value_usd: 0.0,
            deal: usize::MAX,
            due: SimTime::ZERO,
            milestone: None,
            ramp_months: 0,
            delivered_late: false,
            year1_rent: price,
            renewal_options: None,
            rng,
            mirrored,
        }
    }
}

/// Counts that are not cash flows.
#[derive(Debug, Clone, Default)]
pub(super) struct Tallies {
    /// Inquiries (and anchor deals) that arrived.
    pub(super) inquiries: u64,
    /// Of which lost (no room within their patience).
    pub(super) lost_inquiries: u64,
    /// Capacity of the lost deals, MW IT.
    pub(super) lost_mw: f64,
    /// Nominal contract value of the lost deals, USD.
    pub(super) lost_contract_value_usd: f64,
    /// Tenants that defaulted.
    pub(super) tenant_defaults: u64,
    /// Capacity that started after its contracted start, MW IT.
    pub(super) mw_delivered_late: f64,
    /// Capacity whose tenant cancelled it for late delivery, MW IT.
    pub(super) mw_cancelled_late: f64,
}

/// The operator's tenants: leases signed, where each inquiry stands, those waiting for
/// capacity, deals lost, and the counts. The lease lifecycle (below, on the operator) moves
/// them through their states; the plant's capacity is reserved through the facilities.
pub(super) struct Tenancy {
    /// Leases in signing order (their index keys their events).
    pub(super) leases: Vec<Lease>,
    /// Inquiries waiting for capacity, oldest first.
    waiting: VecDeque<u32>,
    inquiry_status: Vec<InquiryStatus>,
    /// When each deal was lost, for the rules' lookback.
    lost_times: Vec<SimTime>,
    /// Whether the plan ever offers space; if not, no inquiry counts as a lost deal.
    offers_space: bool,
    tallies: Tallies,
}

impl Tenancy {
    /// No tenants yet; `inquiries` world inquiries to come, to a plan that offers space or
    /// not (`offers_space`).
    pub(super) fn new(inquiries: usize, offers_space: bool) -> Self {
        Tenancy {
            leases: Vec::new(),
            waiting: VecDeque::new(),
            inquiry_status: vec![InquiryStatus::NotYet; inquiries],
            lost_times: Vec::new(),
            offers_space,
            tallies: Tallies::default(),
        }
    }

    /// The counts so far.
    pub(super) fn tallies(&self) -> &Tallies {
        &self.tallies
    }

    /// The waiting tenants a hall of `shape`, ready at `ready`, could take if they signed now,
    /// and their MW: those whose cooling and density it suits and whose lease would start no
    /// earlier than `ready`, taken in queue order while its MW and racks last.
    pub(super) fn waiting_that_fit(
        &self,
        shape: &HallShape,
        ready: SimTime,
        now: SimTime,
        world: &World,
    ) -> (Vec<usize>, f64) {
        let mut fit = Vec::new();
        let (mut mw, mut racks) = (0.0, 0u64);
        let capacity = shape.it_capacity_mw();
        for &i in &self.waiting {
            let inq = &world.ai.inquiries[i as usize];
            if (inq.liquid && shape.cooling != Cooling::Liquid)
                || inq.density_kw > shape.max_kw_per_rack
                || now + inq.start_delay_secs < ready
            {
                continue;
            }
            let need = racks_for(inq.size_mw, inq.density_kw);
            if mw + inq.size_mw > capacity * (1.0 + 1e-12)
                || racks + need > u64::from(shape.rack_slots)
            {
                continue;
            }
            mw += inq.size_mw;
            racks += need;
            fit.push(i as usize);
        }
        (fit, mw)
    }

    /// Deals lost after `since`.
    pub(super) fn lost_since(&self, since: SimTime) -> usize {
        self.lost_times.iter().filter(|t| **t > since).count()
    }

    /// Adds the billing leases to `r`, the rates between events: rent, leased MW, and the
    /// facility power of their billed share (paid by the operator when power is included,
    /// passed through otherwise), less the share down in each hall (`gpu_down`, by hall);
    /// and notes which are down, for their SLA downtime.
    pub(super) fn add_rates(
        &self,
        halls: &[HallRuntime],
        gpu_down: &[f64],
        now: SimTime,
        guarantee_fee_share: impl Fn(Option<usize>) -> f64,
        r: &mut Rates,
    ) {
        for (k, lease) in self.leases.iter().enumerate() {
            if lease.state == LeaseState::WaitingForHall {
                // Past its delivery date (it waits only once due): damages run until it starts.
                if let Some(m) = lease.milestone {
                    r.late_damages_usd_per_month += m.damages_usd_per_mw_month * lease.mw;
                }
                continue;
            }
            if lease.state != LeaseState::Billing {
                continue;
            }
            let down = gpu_down[lease.hall];
            if down > 0.0 {
                r.down_leases.push((k, down));
            }
            let billed_mw = lease.mw * lease.billed_share;
            r.lease_usd_per_month += lease.rent_usd_per_month(now);
            r.guarantee_fees_usd_per_month +=
                lease.rent_usd_per_month(now) * guarantee_fee_share(lease.class);
            if lease.prepaid_left > 0.0 && lease.rent_from <= now {
                r.prepaid_leases.push((k, lease.rent_usd_per_month(now)));
            }
            r.leased_mw += lease.mw;
            let facility = billed_mw * halls[lease.hall].shape.pue * (1.0 - down);
            if lease.power_included {
                r.paid_tenant_facility_mw += facility;
                r.paid_lease_facility_mw += facility;
            } else {
                r.passthrough_facility_mw += facility;
            }
        }
    }

    /// Adds the rent and the landlord-paid facility load of `hall`'s billing leases to
    /// `project` (a project loan's hall), as [`Tenancy::add_rates`] counts them for the
    /// company.
    pub(super) fn add_project_rates(
        &self,
        hall: usize,
        halls: &[HallRuntime],
        now: SimTime,
        project: &mut ProjectRates,
    ) {
        for lease in &self.leases {
            if lease.hall != hall || lease.state != LeaseState::Billing {
                continue;
            }
            let billed_mw = lease.mw * lease.billed_share;
            project.rent_usd_per_month += lease.rent_usd_per_month(now);
            if lease.power_included {
                project.paid_facility_mw += billed_mw * halls[hall].shape.pue;
            }
        }
    }

    /// Adds each billing lease's facility load (billed MW × PUE) to its site in `site_mw`,
    /// for the grid invariant.
    pub(super) fn add_site_load(&self, halls: &[HallRuntime], site_mw: &mut [f64]) {
        for lease in &self.leases {
            if lease.state == LeaseState::Billing {
                let hall = &halls[lease.hall];
                site_mw[hall.site] += lease.mw * lease.billed_share * hall.shape.pue;
            }
        }
    }

    /// The leases of `hall` leave with it (its project lenders took it): they end for the
    /// company, whatever their state.
    pub(super) fn foreclose(&mut self, hall: usize) {
        for lease in self.leases.iter_mut().filter(|l| l.hall == hall) {
            lease.state = LeaseState::Ended;
            lease.billed_share = 0.0;
        }
    }

    /// The billing lease with the most MW (the last of equals), if any.
    pub(super) fn largest_billing_lease(&self) -> Option<usize> {
        (0..self.leases.len())
            .filter(|k| self.leases[*k].state == LeaseState::Billing)
            .max_by(|a, b| self.leases[*a].mw.total_cmp(&self.leases[*b].mw))
    }

    /// Counts a lost deal: its MW and its nominal contract value (MW × 1,000 kW × rent × 12
    /// months × term years), and when it was lost (for the rules' lookback).
    pub(super) fn record_loss(&mut self, mw: f64, price: f64, term_secs: u64, now: SimTime) {
        self.tallies.lost_inquiries += 1;
        self.record_lost_capacity(mw, price, term_secs);
        self.lost_times.push(now);
    }

    /// Counts the MW and nominal value of a deal's phase that was lost while the deal itself
    /// was signed (one deal, not another lost inquiry).
    pub(super) fn record_lost_capacity(&mut self, mw: f64, price: f64, term_secs: u64) {
        self.tallies.lost_mw += mw;
        self.tallies.lost_contract_value_usd +=
            mw * 1_000.0 * price * 12.0 * term_secs as f64 / SECONDS_PER_YEAR;
    }

    /// SLA credits of the month: each billing lease's downtime beyond the allowance earns
    /// `credit_per_hour` of its monthly rent per hour, capped at `cap`; USD. Resets the
    /// downtime for the next month.
    pub(super) fn sla_credits(&mut self, sla: Option<&Sla>, now: SimTime) -> f64 {
        let Some(sla) = sla else {
            for lease in &mut self.leases {
                lease.downtime_secs = 0.0;
            }
            return 0.0;
        };
        let mut credits = 0.0;
        for lease in &mut self.leases {
            let hours = lease.downtime_secs / SECONDS_PER_HOUR as f64;
            lease.downtime_secs = 0.0;
            if lease.state != LeaseState::Billing || hours <= sla.allowance_hours_per_month {
                continue;
            }
            let share =
                ((hours - sla.allowance_hours_per_month) * sla.credit_per_hour).min(sla.cap);
            credits += share * lease.rent_usd_per_month(now);
        }
        credits
    }
}

impl Operator<'_> {
    pub(super) fn inquiry_arrives(
        &mut self,
        i: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        self.tenancy.tallies.inquiries += 1;
        if self.try_place(i, now, queue) {
            return;
        }
        // It waits; a plan that builds on pre-leases may now have enough tenants to start a
        // build, which places them.
        self.tenancy.inquiry_status[i] = InquiryStatus::Waiting;
        self.tenancy.waiting.push_back(i as u32);
        self.review_preleases(now, queue);
        if self.tenancy.inquiry_status[i] != InquiryStatus::Waiting {
            return;
        }
        let patience = self.world.ai.inquiries[i].patience_secs;
        if patience == 0 {
            self.tenancy.waiting.retain(|&w| w as usize != i);
            self.lose(i, now);
        } else {
            queue.schedule(now + patience, OperatorEvent::InquiryExpires(i as u32));
        }
    }

    pub(super) fn inquiry_expires(&mut self, i: usize, now: SimTime) {
        if self.tenancy.inquiry_status[i] == InquiryStatus::Waiting {
            self.tenancy.waiting.retain(|&w| w as usize != i);
            self.lose(i, now);
        }
    }

    fn lose(&mut self, i: usize, now: SimTime) {
        let inq = self.world.ai.inquiries[i];
        self.tenancy.inquiry_status[i] = InquiryStatus::Lost;
        if self.tenancy.offers_space {
            self.tenancy
                .record_loss(inq.size_mw, inq.price, inq.term_secs, now);
        }
    }

    /// Places inquiry `i` if some hall can take it now; returns whether it was placed.
    fn try_place(&mut self, i: usize, now: SimTime, queue: &mut EventQueue<OperatorEvent>) -> bool {
        let inq = self.world.ai.inquiries[i];
        let start = now + inq.start_delay_secs;
        let candidates = self
            .facilities
            .candidates(inq.size_mw, inq.density_kw, inq.liquid, start);
        if let Some(hall) = placement::policy(self.plan.placement).choose(inq.size_mw, &candidates)
        {
            return self.sign_inquiry(i, &[(hall, inq.size_mw)], now, queue);
        }
        // A campus tenant larger than any one hall takes several halls of one site.
        match self
            .facilities
            .campus_split(inq.size_mw, inq.density_kw, inq.liquid, start)
        {
            Some(pieces) => self.sign_inquiry(i, &pieces, now, queue),
            None => false,
        }
    }

    /// Signs waiting inquiry `i` into `hall`, a hall just started for it (a pre-lease): it is
    /// due at its own start; if the build is late, it waits for the hall.
    pub(super) fn sign_preleased(
        &mut self,
        i: usize,
        hall: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let mw = self.world.ai.inquiries[i].size_mw;
        if self.sign_inquiry(i, &[(hall, mw)], now, queue) {
            self.tenancy.waiting.retain(|&w| w as usize != i);
        }
    }

    /// The stream of piece `piece` of deal `index`: the first piece (phase) keeps the deal's
    /// own stream (`kinds.0`), later ones have their own kind (`kinds.1`), so a deal's phases
    /// draw independently and adding a phase moves no other draw.
    fn deal_stream(
        &self,
        kinds: (StreamKind, StreamKind),
        index: usize,
        piece: usize,
    ) -> (ChaCha8Rng, bool) {
        let (kind, instance) = if piece == 0 {
            (kinds.0, index)
        } else {
            (kinds.1, index * 64 + piece.min(63))
        };
        paired_stream(
            self.seed,
            self.replication,
            self.model.antithetic,
            kind,
            instance,
        )
    }

    /// Signs inquiry `i` now as one deal of one or more leases, (hall, MW IT) each; false
    /// without an AI market. The first lease draws from the inquiry's own stream (its default
    /// clock and renewals), the others from their own.
    fn sign_inquiry(
        &mut self,
        i: usize,
        pieces: &[(usize, f64)],
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) -> bool {
        // Inquiry events do not accrue up to their instant (see `Operator::handle`); a
        // signature changes the books, so everything before it is booked first.
        self.advance(now);
        let inq = self.world.ai.inquiries[i];
        let start = now + inq.start_delay_secs;
        let Some(ai) = &self.model.ai else {
            return false;
        };
        let first = self.tenancy.leases.len();
        for (piece, &(hall, mw)) in pieces.iter().enumerate() {
            let rng = self.deal_stream((StreamKind::Tenant, StreamKind::TenantPhase), i, piece);
            let mut lease = Lease::signed(
                hall,
                mw,
                racks_for(mw, inq.density_kw),
                inq.price,
                inq.term_secs,
                rng,
            );
            lease.escalator = ai.escalator;
            lease.power_included = ai.power == PowerTerms::Included;
            lease.price_factor = inq.price_factor;
            lease.ramp_months = ai.ramp_months;
            lease.deal = first;
            self.sign(lease, start, queue);
        }
        self.tenancy.inquiry_status[i] = InquiryStatus::Placed;
        true
    }

    /// Signs a lease due to start at `start`: reserves its capacity and schedules its start.
    /// A lease not yet part of a deal is a deal of its own.
    pub(super) fn sign(
        &mut self,
        lease: Lease,
        start: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        self.facilities
            .reserve_gpu(lease.hall, lease.mw, lease.racks);
        let mut lease = lease;
        let k = self.tenancy.leases.len();
        if lease.deal == usize::MAX {
            lease.deal = k;
        }
        lease.due = start;
        lease.contract_value_usd = crate::lease_value::contract_value(
            lease.mw * 1_000.0,
            lease.price,
            lease.term_secs as f64 / SECONDS_PER_YEAR,
            lease.escalator,
        );
        self.tenancy.leases.push(lease);
        queue.schedule(start, OperatorEvent::LeaseStarts(k as u32));
    }

    /// An anchor deal signed by plan action `timed` (a `SignTenant`): one lease per phase,
    /// each with its own stream keyed by the action's index in the file and the phase. A phase
    /// whose capacity went to other tenants first is lost; if the first is lost, the deal is.
    pub(super) fn sign_anchor(
        &mut self,
        timed: &TimedAction,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let ActionSpec::SignTenant {
            hall,
            mw,
            term_secs,
            price,
            escalator,
            start_delay_secs,
            prepayment_usd,
            free_rent_secs,
            class,
            ref more_phases,
            milestone,
            ramp_months,
            renewal_options,
        } = timed.action
        else {
            return;
        };
        self.tenancy.tallies.inquiries += 1;
        let power_included = self
            .model
            .ai
            .as_ref()
            .is_some_and(|a| a.power == PowerTerms::Included);
        let phases =
            std::iter::once((hall, mw, start_delay_secs)).chain(more_phases.iter().copied());
        let mut deal = None;
        for (phase, (hall, mw, delay)) in phases.enumerate() {
            let h = &self.facilities.halls[hall];
            let racks = racks_for(mw, h.shape.max_kw_per_rack);
            let fits = matches!(h.use_, HallUse::GpuReady | HallUse::Converting(_))
                && self.facilities.has_room(hall, mw, racks);
            if !fits {
                // The capacity went to other tenants first: the phase (and, for the first,
                // the deal) is lost.
                if phase == 0 {
                    self.tenancy.record_loss(mw, price, term_secs, now);
                    return;
                }
                self.tenancy.record_lost_capacity(mw, price, term_secs);
                continue;
            }
            let rng = self.deal_stream(
                (StreamKind::AnchorTenant, StreamKind::AnchorPhase),
                timed.index,
                phase,
            );
            let mut lease = Lease::signed(hall, mw, racks, price, term_secs, rng);
            lease.escalator = escalator;
            lease.power_included = power_included;
            lease.free_rent_secs = free_rent_secs;
            lease.class = class;
            lease.milestone = milestone;
            lease.ramp_months = ramp_months;
            lease.renewal_options = renewal_options.map(|o| (o.count, o));
            match deal {
                None => {
                    // The deal's prepayment is credited against its first phase's rent.
                    lease.prepaid_left = prepayment_usd;
                    self.ledger.month[Flow::RentPrepaid] += prepayment_usd;
                    deal = Some(self.tenancy.leases.len());
                }
                Some(first) => lease.deal = first,
            }
            self.sign(lease, now + delay, queue);
        }
        // The deal is signed (a lost first phase returned above): a guarantor paid in
        // shares receives its warrants.
        let warrants = self
            .model
            .ai
            .as_ref()
            .map_or(0.0, |a| a.lease_hazard(class).warrants_share);
        if warrants > 0.0 {
            self.financing.grant_warrants(warrants);
        }
    }

    /// The tenant of lease `k` cancels it: its hall was not ready `cancel_after` past its
    /// contracted start. The capacity is freed and offered to waiting inquiries.
    pub(super) fn lease_cancel_deadline(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        if self.tenancy.leases[k].state != LeaseState::WaitingForHall {
            return;
        }
        self.tenancy.tallies.mw_cancelled_late += self.tenancy.leases[k].mw;
        self.release(k, now, queue);
    }

    pub(super) fn lease_starts(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        if self.tenancy.leases[k].state != LeaseState::Signed
            && self.tenancy.leases[k].state != LeaseState::WaitingForHall
        {
            return;
        }
        if self.facilities.halls[self.tenancy.leases[k].hall].use_ != HallUse::GpuReady {
            let lease = &mut self.tenancy.leases[k];
            lease.state = LeaseState::WaitingForHall;
            if let Some(m) = lease.milestone {
                queue.schedule(
                    lease.due + m.cancel_after_secs,
                    OperatorEvent::LeaseCancelDeadline(k as u32),
                );
            }
            return;
        }
        let lease = &mut self.tenancy.leases[k];
        let ramp_months = lease.ramp_months;
        if now > lease.due {
            lease.delivered_late = true;
            self.tenancy.tallies.mw_delivered_late += lease.mw;
        }
        let lease = &mut self.tenancy.leases[k];
        lease.state = LeaseState::Billing;
        lease.end = now + lease.term_secs;
        lease.rent_from = now + lease.free_rent_secs;
        if lease.free_rent_secs > 0 {
            queue.schedule(lease.rent_from, OperatorEvent::LeaseRentStarts(k as u32));
        }
        lease.ramp_step = 0;
        lease.billed_share = if ramp_months == 0 {
            1.0
        } else {
            1.0 / f64::from(ramp_months)
        };
        if ramp_months > 1 {
            queue.schedule(
                now + SECONDS_PER_AVG_MONTH as u64,
                OperatorEvent::LeaseRamps(k as u32),
            );
        }
        self.schedule_escalation(k, now, queue);
        self.schedule_term(k, now, queue);
    }

    /// Schedules the end of lease `k`'s current term and, if its tenant's hazard clock runs
    /// out first, its default.
    fn schedule_term(&mut self, k: usize, now: SimTime, queue: &mut EventQueue<OperatorEvent>) {
        let end = self.tenancy.leases[k].end;
        queue.schedule(end, OperatorEvent::LeaseEnds(k as u32));
        // A deal's tenant has one default clock, its first lease's: a tenant of several
        // phases is no likelier to fail than one of a single phase.
        if self.tenancy.leases[k].deal != k {
            return;
        }
        if let Some(ai) = &self.model.ai {
            let lease = &mut self.tenancy.leases[k];
            let clock = default_clock(&mut lease.rng, lease.mirrored);
            let hazard = ai.lease_hazard(self.tenancy.leases[k].class);
            if let Some(t) = self.world.ai.default_time(hazard, now, end, clock) {
                queue.schedule(t, OperatorEvent::LeaseDefaults(k as u32));
            }
        }
    }

    pub(super) fn lease_ramps(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let lease = &mut self.tenancy.leases[k];
        let ramp_months = lease.ramp_months;
        if lease.state != LeaseState::Billing {
            return;
        }
        lease.ramp_step += 1;
        lease.billed_share =
            (f64::from(lease.ramp_step + 1) / f64::from(ramp_months.max(1))).min(1.0);
        if lease.billed_share < 1.0 {
            queue.schedule(
                now + SECONDS_PER_AVG_MONTH as u64,
                OperatorEvent::LeaseRamps(k as u32),
            );
        }
    }

    /// Schedules lease `k`'s next escalation on the calendar anniversary of `from`.
    fn schedule_escalation(
        &mut self,
        k: usize,
        from: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        let at = self.model.add_months(from, 12);
        self.tenancy.leases[k].next_escalation = at;
        queue.schedule(at, OperatorEvent::LeaseEscalates(k as u32));
    }

    pub(super) fn lease_escalates(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        // A renewal restarts the chain: an escalation not on the current schedule is stale.
        if self.tenancy.leases[k].state != LeaseState::Billing
            || self.tenancy.leases[k].next_escalation != now
        {
            return;
        }
        let lease = &mut self.tenancy.leases[k];
        lease.price *= 1.0 + lease.escalator;
        self.schedule_escalation(k, now, queue);
    }

    pub(super) fn lease_ends(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        if self.tenancy.leases[k].state != LeaseState::Billing || self.tenancy.leases[k].end != now
        {
            return;
        }
        let Some(ai) = &self.model.ai else {
            self.release(k, now, queue);
            return;
        };
        let drawn: f64 = self.tenancy.leases[k].rng.random();
        let renew_draw = if self.tenancy.leases[k].mirrored {
            1.0 - drawn
        } else {
            drawn
        };
        // The market rent of the day, times the tenant's own price factor.
        let market = ai.price
            * ai.price_factor(self.world.ai.regime_at(now))
            * self.tenancy.leases[k].price_factor;
        let lease = &mut self.tenancy.leases[k];
        let renewal = match lease.renewal_options {
            // An option at a fixed step is taken whenever it is no dearer than the market.
            Some((left, o)) if left > 0 => {
                let option_rent = match o.rent {
                    RenewalRent::FixedStep(step) => Some(lease.price * (1.0 + step)),
                    RenewalRent::Market => None,
                };
                lease.renewal_options = Some((left - 1, o));
                let term = (o.term_years * SECONDS_PER_YEAR) as u64;
                match option_rent {
                    Some(rent) if rent <= market => Some((rent, term)),
                    _ => (renew_draw < ai.renewal_probability).then_some((market, term)),
                }
            }
            // Options used up: it leaves.
            Some(_) => None,
            None => (renew_draw < ai.renewal_probability).then_some((market, lease.term_secs)),
        };
        if let Some((rent, term)) = renewal {
            lease.price = rent;
            lease.end = now + term;
            self.schedule_escalation(k, now, queue);
            self.schedule_term(k, now, queue);
        } else {
            self.release(k, now, queue);
        }
    }

    pub(super) fn lease_defaults(
        &mut self,
        k: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        if self.tenancy.leases[k].state != LeaseState::Billing {
            return;
        }
        self.tenancy.tallies.tenant_defaults += 1;
        // The tenant walks away from every phase of its deal, delivered or not; its
        // guarantor or estate pays its class's share of the rent left on each billing phase.
        let deal = self.tenancy.leases[k].deal;
        let recovery = self.model.ai.as_ref().map_or(0.0, |a| {
            a.lease_hazard(self.tenancy.leases[k].class).recovery_share
        });
        for j in deal..self.tenancy.leases.len() {
            if self.tenancy.leases[j].deal == deal
                && self.tenancy.leases[j].state != LeaseState::Ended
            {
                let lease = &self.tenancy.leases[j];
                if recovery > 0.0 && lease.state == LeaseState::Billing {
                    let months_left = lease.end.secs_since(now) as f64 / SECONDS_PER_AVG_MONTH;
                    self.ledger.month[Flow::DefaultRecoveries] +=
                        recovery * lease.mw * 1_000.0 * lease.price * months_left;
                }
                self.tenancy.leases[j].defaulted_at = Some(now);
                self.release(j, now, queue);
            }
        }
    }

    /// Ends lease `k`, frees its capacity, and offers it to waiting inquiries.
    fn release(&mut self, k: usize, now: SimTime, queue: &mut EventQueue<OperatorEvent>) {
        let lease = &mut self.tenancy.leases[k];
        lease.state = LeaseState::Ended;
        lease.billed_share = 0.0;
        let (hall, mw, racks) = (lease.hall, lease.mw, lease.racks);
        self.facilities.release_gpu(hall, mw, racks);
        self.retry_waiting(now, queue);
    }

    /// Offers freed capacity to waiting inquiries, oldest first.
    pub(super) fn retry_waiting(&mut self, now: SimTime, queue: &mut EventQueue<OperatorEvent>) {
        let waiting: Vec<u32> = self.tenancy.waiting.iter().copied().collect();
        for i in waiting {
            if self.try_place(i as usize, now, queue) {
                self.tenancy.waiting.retain(|&w| w != i);
            }
        }
    }

    /// Starts leases and GPU clouds that were waiting for hall `hall` to become GPU-ready.
    pub(super) fn hall_ready(
        &mut self,
        hall: usize,
        now: SimTime,
        queue: &mut EventQueue<OperatorEvent>,
    ) {
        for k in 0..self.tenancy.leases.len() {
            if self.tenancy.leases[k].hall == hall
                && self.tenancy.leases[k].state == LeaseState::WaitingForHall
            {
                self.lease_starts(k, now, queue);
            }
        }
        for k in 0..self.facilities.clouds.len() {
            if self.facilities.clouds[k].hall == hall
                && self.facilities.clouds[k].state == CloudState::Pending
            {
                self.cloud_activates(k, now, queue);
            }
        }
        self.retry_waiting(now, queue);
    }
}

/// Racks needed for `mw` of IT at `density_kw` per rack.
pub(super) fn racks_for(mw: f64, density_kw: f64) -> u64 {
    (mw * 1_000.0 / density_kw.max(1e-9) - 1e-9).ceil().max(0.0) as u64
}

/// A deal's default clock, E ~ Exp(1) in units of its cumulative hazard: the first draw of
/// its first lease's stream, mirrored (E → −ln(1 − e^(−E))) in the odd member of an antithetic
/// pair. Shared by the lease and by the control variates ([`crate::controls`]), which must
/// see the same draw.
pub(crate) fn default_clock(rng: &mut ChaCha8Rng, mirrored: bool) -> f64 {
    let drawn: f64 = Exp1.sample(rng);
    if mirrored { mirror_exp1(drawn) } else { drawn }
}
