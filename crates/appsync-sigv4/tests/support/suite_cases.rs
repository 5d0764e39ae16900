//! The cases AWS's signing test suite has in both `data/v4` and `data/v4a`, shared by
//! `vectors.rs` and `vectors_v4a.rs` so that neither can miss one.

/// One `#[test]` per case: `run(load(case, double_encode))`, with the including file's `run`.
macro_rules! case_tests {
    ($($test:ident => $case:literal $(, $double:literal)?;)*) => {$(
        #[test]
        fn $test() {
            #[allow(unused_mut, unused_assignments)]
            let mut double = true;
            $(double = $double;)?
            run(load($case, double));
        }
    )*};
}

/// Calls `$m! { test_name => "case-dir"; ... }` with every shared case. `, false` marks the cases
/// aws-c-auth generated with single path encoding (see `vectors.rs`).
macro_rules! shared_cases {
    ($m:ident) => {
        $m! {
            get_header_key_duplicate => "get-header-key-duplicate";
            get_header_value_multiline => "get-header-value-multiline";
            get_header_value_order => "get-header-value-order";
            get_header_value_trim => "get-header-value-trim";
            get_relative_normalized => "get-relative-normalized";
            get_relative_relative_normalized => "get-relative-relative-normalized";
            get_relative_relative_unnormalized => "get-relative-relative-unnormalized";
            get_relative_unnormalized => "get-relative-unnormalized";
            get_slash_dot_slash_normalized => "get-slash-dot-slash-normalized";
            get_slash_dot_slash_unnormalized => "get-slash-dot-slash-unnormalized";
            get_slash_normalized => "get-slash-normalized";
            get_slash_pointless_dot_normalized => "get-slash-pointless-dot-normalized";
            get_slash_pointless_dot_unnormalized => "get-slash-pointless-dot-unnormalized";
            get_slash_unnormalized => "get-slash-unnormalized";
            get_slashes_normalized => "get-slashes-normalized";
            get_slashes_unnormalized => "get-slashes-unnormalized";
            get_space_normalized => "get-space-normalized", false;
            get_space_unnormalized => "get-space-unnormalized", false;
            get_unreserved => "get-unreserved";
            get_utf8 => "get-utf8", false;
            get_vanilla => "get-vanilla";
            get_vanilla_empty_query_key => "get-vanilla-empty-query-key";
            get_vanilla_query => "get-vanilla-query";
            get_vanilla_query_order_encoded => "get-vanilla-query-order-encoded";
            get_vanilla_query_order_key_case => "get-vanilla-query-order-key-case";
            get_vanilla_query_unreserved => "get-vanilla-query-unreserved";
            get_vanilla_utf8_query => "get-vanilla-utf8-query";
            get_vanilla_with_session_token => "get-vanilla-with-session-token";
            post_header_key_case => "post-header-key-case";
            post_header_key_sort => "post-header-key-sort";
            post_header_value_case => "post-header-value-case";
            post_sts_header_after => "post-sts-header-after";
            post_sts_header_before => "post-sts-header-before";
            post_vanilla => "post-vanilla";
            post_vanilla_empty_query_value => "post-vanilla-empty-query-value";
            post_vanilla_query => "post-vanilla-query";
            post_x_www_form_urlencoded => "post-x-www-form-urlencoded";
            post_x_www_form_urlencoded_parameters => "post-x-www-form-urlencoded-parameters";
        }
    };
}
