//! The members of the runtime's globals, as `@aws-appsync/utils` 2.1.1 declares them
//! (`lib/index.d.ts` and the `lib/*-utils.d.ts` it imports). AppSync type-checks code against
//! these at deploy time, so a name outside them is refused.

/// `util`'s own members: functions, then the namespaces listed in [`UTIL_NAMESPACES`].
pub(super) const UTIL: &[&str] = &[
    "escapeJavaScript",
    "urlEncode",
    "urlDecode",
    "base64Encode",
    "base64Decode",
    "autoId",
    "autoUlid",
    "autoKsuid",
    "unauthorized",
    "error",
    "appendError",
    "matches",
    "authType",
    "time",
    "dynamodb",
    "rds",
    "http",
    "xml",
    "transform",
    "math",
    "str",
];

/// `util.<namespace>` and its members.
pub(super) const UTIL_NAMESPACES: &[(&str, &[&str])] = &[
    (
        "time",
        &[
            "nowISO8601",
            "nowEpochSeconds",
            "nowEpochMilliSeconds",
            "nowFormatted",
            "parseFormattedToEpochMilliSeconds",
            "parseISO8601ToEpochMilliSeconds",
            "epochMilliSecondsToSeconds",
            "epochMilliSecondsToISO8601",
            "epochMilliSecondsToFormatted",
        ],
    ),
    (
        "dynamodb",
        &[
            "toDynamoDB",
            "toString",
            "toStringSet",
            "toNumber",
            "toNumberSet",
            "toBinary",
            "toBinarySet",
            "toBoolean",
            "toNull",
            "toList",
            "toMap",
            "toMapValues",
            "toS3Object",
            "fromS3ObjectJson",
        ],
    ),
    ("rds", &["toJsonObject"]),
    ("http", &["copyHeaders", "addResponseHeader", "addResponseHeaders"]),
    ("xml", &["toMap", "toJsonString"]),
    (
        "transform",
        &[
            "toDynamoDBFilterExpression",
            "toDynamoDBConditionExpression",
            "toElasticsearchQueryDSL",
            "toSubscriptionFilter",
        ],
    ),
    ("math", &["roundNum", "minVal", "maxVal", "randomDouble", "randomWithinRange"]),
    ("str", &["normalize"]),
];

/// `runtime`'s members.
pub(super) const RUNTIME: &[&str] = &["earlyReturn"];

/// `extensions`' members.
pub(super) const EXTENSIONS: &[&str] = &[
    "evictFromApiCache",
    "setSubscriptionFilter",
    "setSubscriptionInvalidationFilter",
    "invalidateSubscriptions",
];

/// The modules a resolver may import; anything else has to be bundled into the code.
pub(super) const MODULES: &[&str] =
    &["@aws-appsync/utils", "@aws-appsync/utils/dynamodb", "@aws-appsync/utils/rds", "@aws-appsync/utils/ai"];

/// The members of `global` (`util`, `runtime` or `extensions`), or `None` for another name.
pub(super) fn members_of(global: &str) -> Option<&'static [&'static str]> {
    match global {
        "util" => Some(UTIL),
        "runtime" => Some(RUNTIME),
        "extensions" => Some(EXTENSIONS),
        _ => None,
    }
}

/// The members of `util.<namespace>`, or `None` when it is not one.
pub(super) fn util_namespace(namespace: &str) -> Option<&'static [&'static str]> {
    UTIL_NAMESPACES.iter().find(|(name, _)| *name == namespace).map(|(_, members)| *members)
}
