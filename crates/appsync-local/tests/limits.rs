//! Every numeric setting of the builder and of the real-time options is checked the same way:
//! a value out of range is kept by its setter and refused by `build()` (or `router_with`) with
//! the field named; the edge of the range is accepted.
#![allow(missing_docs)]
// Test helpers: a failed expect is the test failing, with its message.
#![allow(clippy::expect_used)]

use std::time::Duration;

use appsync_local::EmulatorBuilder;
use appsync_local::realtime::{RealtimeOptions, router_with};
use appsync_testkit::demo_builder;

/// The field `build()` names when it refuses `builder`.
fn refused_field(builder: EmulatorBuilder) -> String {
    let err = builder.build().expect_err("out of range");
    assert!(err.is_config(), "{err:?}");
    let field = err.field().expect("the error names its field").to_owned();
    assert!(err.to_string().contains(&field), "the message names {field}: {err}");
    field
}

#[test]
fn zero_limits_and_zero_time_spans_are_refused_naming_the_field() {
    let cases: Vec<(&str, EmulatorBuilder)> = vec![
        ("body_limit", demo_builder().body_limit(0)),
        ("query_depth_limit", demo_builder().query_depth_limit(76)),
        ("resolver_count_limit", demo_builder().resolver_count_limit(10_001)),
        // It used to become 1 silently.
        ("event_capacity", demo_builder().event_capacity(0)),
        ("event_capacity", demo_builder().event_capacity(usize::MAX)),
        ("body_timeout", demo_builder().body_timeout(Duration::ZERO)),
        ("header_timeout", demo_builder().header_timeout(Duration::ZERO)),
        ("lambda_authorizer_ttl", demo_builder().lambda_authorizer_ttl(Duration::from_secs(3601))),
    ];
    for (field, builder) in cases {
        assert_eq!(refused_field(builder), field);
    }
}

#[test]
fn realtime_options_out_of_range_are_refused_naming_the_field() {
    let defaults = RealtimeOptions::default;
    let cases: Vec<(&str, RealtimeOptions)> = vec![
        ("realtime.connection_timeout_ms", defaults().connection_timeout_ms(0)),
        // It used to become 1 ms silently.
        ("realtime.keep_alive_interval", defaults().keep_alive_interval(Duration::ZERO)),
        ("realtime.init_timeout", defaults().init_timeout(Duration::ZERO)),
        ("realtime.max_message_bytes", defaults().max_message_bytes(0)),
        ("realtime.max_inbound_per_second", defaults().max_inbound_per_second(0)),
        ("realtime.write_timeout", defaults().write_timeout(Duration::ZERO)),
    ];
    let emulator = demo_builder().build().expect("defaults are in range");
    for (field, options) in cases {
        assert_eq!(refused_field(demo_builder().realtime(options.clone())), field);
        let err = router_with(&emulator, options).expect_err("router_with checks too");
        assert_eq!(err.field(), Some(field));
    }
}

#[test]
fn the_edges_of_each_range_are_accepted() {
    let options = RealtimeOptions::default()
        .connection_timeout_ms(1)
        .keep_alive_interval(Duration::from_nanos(1))
        .init_timeout(Duration::from_nanos(1))
        .max_message_bytes(1)
        .max_inbound_per_second(1)
        .write_timeout(Duration::from_nanos(1))
        // Zero is a policy here: every `start` is refused, as by a server at its limit.
        .max_subscriptions(0);
    let builder = demo_builder()
        .body_limit(1)
        .query_depth_limit(75)
        .resolver_count_limit(10_000)
        // Zero is a policy here: no aliases.
        .max_aliases(0)
        .event_capacity(1)
        .body_timeout(Duration::from_nanos(1))
        .header_timeout(Duration::from_nanos(1))
        .lambda_authorizer_ttl(Duration::from_secs(3600))
        .max_clock_skew(Duration::ZERO)
        .realtime(options.clone());
    let emulator = builder.build().expect("edges are in range");
    let _router = router_with(&emulator, options).expect("edges are in range");
}
