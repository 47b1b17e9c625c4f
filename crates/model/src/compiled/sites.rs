//! Sites, halls and ASIC fleets in simulation form: flat arrays with global hall indices,
//! each site's PPA block sized from its full facility load, its outage trace on the clock.

use pivotsim_engine::{Calendar, SECONDS_PER_HOUR, SimTime};
use pivotsim_scenario::{HallState, Scenario};

use super::{FleetSpec, HallShape, HallSpec, SiteSpec};

/// The sites, the halls over all sites (in file order), and the fleets over all halls.
pub(super) fn compile(
    s: &Scenario,
    calendar: &Calendar,
    end: SimTime,
) -> (Vec<SiteSpec>, Vec<HallSpec>, Vec<FleetSpec>) {
    let mut sites = Vec::new();
    let mut halls = Vec::new();
    let mut fleets = Vec::new();
    for (si, site) in s.sites.iter().enumerate() {
        let mut facility_mw = 0.0;
        for hall in &site.halls {
            let hi = halls.len();
            halls.push(HallSpec {
                site: si,
                name: hall.name.clone(),
                shape: HallShape {
                    cooling: hall.cooling,
                    rack_slots: hall.rack_slots,
                    max_kw_per_rack: hall.max_kw_per_rack,
                    cooling_mw: hall.cooling_mw,
                    pue: hall.pue,
                    backup_generators: hall.backup_generators,
                },
                state: hall.state,
                cooling_failures: hall
                    .cooling_failures
                    .as_ref()
                    .map(|f| (f.between_days, f.duration_hours, f.derate)),
            });
            if hall.state == HallState::GpuReady {
                let shape = &halls[hi].shape;
                facility_mw += shape.it_capacity_mw() * shape.pue;
            }
            for f in &hall.asics {
                let spec = FleetSpec::new(si, hi, f, hall.pue);
                facility_mw += spec.facility_mw_per_unit * f64::from(f.units);
                fleets.push(spec);
            }
        }
        let (ppa_block_mw, ppa_price) = match &site.ppa {
            Some(p) => (p.share * facility_mw, p.price_usd_per_mwh),
            None => (0.0, 0.0),
        };
        let (dr_trigger, dr_credit) = match &site.demand_response {
            Some(d) => (d.trigger_usd_per_mwh, d.credit_usd_per_mwh),
            None => (f64::INFINITY, 0.0),
        };
        sites.push(SiteSpec {
            name: site.name.clone(),
            grid_mw: site.grid_mw,
            asic_opex_usd_per_mw_month: site.opex_usd_per_mw_month,
            gpu_opex_usd_per_mw_month: site.gpu_opex_usd_per_mw_month,
            revenue_share: 1.0 - site.pool_fee,
            ppa_block_mw,
            ppa_price,
            dr_trigger,
            dr_credit,
            trace_outages: site
                .grid_outage_trace_events
                .iter()
                .filter_map(|o| {
                    let start = pivotsim_scenario::trace::parse_start(&o.start)?;
                    let from_date = calendar.time_of(start.date())?;
                    let secs =
                        u64::from(chrono::Timelike::num_seconds_from_midnight(&start.time()));
                    let from = from_date + secs;
                    let to = (from + (o.duration_hours * SECONDS_PER_HOUR as f64) as u64).min(end);
                    (from < end).then_some((from, to))
                })
                .collect(),
            grid_outages: site
                .grid_outages
                .as_ref()
                .map(|o| (o.between_days, o.duration_hours)),
            generator_failure_probability: site.generator_failure_probability,
        });
    }
    (sites, halls, fleets)
}
