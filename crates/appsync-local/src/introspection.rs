//! What introspection shows of AppSync's own scalars and directives, as the real service shows
//! it: their descriptions, `@defer`, the auth directives' locations, and no `@specifiedBy`.
//!
//! The texts are the service's answers, kept as data: they are what
//! `aws appsync get-introspection-schema` prints for any API (SDL dumps of real APIs committed
//! in public repositories; see the crate README's fidelity table). The emulator validates user
//! schemas with generous directive locations (AppSync accepts its auth directives in more places
//! than it declares), then rewrites the declarations here for clients to read.

use apollo_compiler::Node;
use apollo_compiler::Schema;
use apollo_compiler::ast::{DirectiveLocation, InputValueDefinition};
use apollo_compiler::schema::ExtendedType;

/// `@defer` as AppSync declares it: accepted on a field, results not actually deferred.
pub(crate) const DEFER: &str = "directive @defer on FIELD";

/// One of AppSync's directives as introspection shows it.
struct Directive {
    name: &'static str,
    description: &'static str,
    /// The one argument's description, for directives with one.
    argument: Option<&'static str>,
    locations: &'static [DirectiveLocation],
}

const OBJECT_AND_FIELD: &[DirectiveLocation] =
    &[DirectiveLocation::Object, DirectiveLocation::FieldDefinition];
const FIELD: &[DirectiveLocation] = &[DirectiveLocation::FieldDefinition];
const COGNITO_GROUPS: &str = "List of cognito user pool groups which have access on this field";

const DIRECTIVES: [Directive; 9] = [
    Directive {
        name: "defer",
        description: "This directive allows results to be deferred during execution",
        argument: None,
        locations: &[DirectiveLocation::Field],
    },
    Directive {
        name: "aws_subscribe",
        description: "Tells the service which mutation triggers this subscription.",
        argument: Some("List of mutations which will trigger this subscription when they are called."),
        locations: FIELD,
    },
    Directive {
        name: "aws_cognito_user_pools",
        description: "Tells the service this field/object has access authorized by a Cognito User Pools token.",
        argument: Some(COGNITO_GROUPS),
        locations: OBJECT_AND_FIELD,
    },
    Directive {
        name: "aws_auth",
        description: "Directs the schema to enforce authorization on a field",
        argument: Some(COGNITO_GROUPS),
        locations: FIELD,
    },
    Directive {
        name: "aws_publish",
        description: "Tells the service which subscriptions will be published to when this mutation is called. This directive is deprecated use @aws_susbscribe directive instead.",
        argument: Some("List of subscriptions which will be published to when this mutation is called."),
        locations: FIELD,
    },
    Directive {
        name: "aws_oidc",
        description: "Tells the service this field/object has access authorized by an OIDC token.",
        argument: None,
        locations: OBJECT_AND_FIELD,
    },
    Directive {
        name: "aws_lambda",
        description: "Tells the service this field/object has access authorized by a Lambda Authorizer.",
        argument: None,
        locations: OBJECT_AND_FIELD,
    },
    Directive {
        name: "aws_iam",
        description: "Tells the service this field/object has access authorized by sigv4 signing.",
        argument: None,
        locations: OBJECT_AND_FIELD,
    },
    Directive {
        name: "aws_api_key",
        description: "Tells the service this field/object has access authorized by an API key.",
        argument: None,
        locations: OBJECT_AND_FIELD,
    },
];

/// The AWS scalars' descriptions as the service gives them. `AWSIPAddress` is left without one:
/// no public dump shows its text. (`AWSJSON`'s examples carry two backslashes before each inner
/// quote: so the service sends them, as two independent dumps agree.)
const SCALARS: [(&str, &str); 8] = [
    (
        "AWSDate",
        "The `AWSDate` scalar type provided by AWS AppSync, represents a valid ***extended*** [ISO 8601 Date](https://en.wikipedia.org/wiki/ISO_8601#Calendar_dates) string. In other words, this scalar type accepts date strings of the form `YYYY-MM-DD`.  The scalar can also accept \"negative years\" of the form `-YYYY` which correspond to years before `0000`. For example, \"**-2017-05-01**\" and \"**-9999-01-01**\" are both valid dates.  This scalar type can also accept an optional [time zone offset](https://en.wikipedia.org/wiki/ISO_8601#Time_zone_designators). For example, \"**1970-01-01**\", \"**1970-01-01Z**\", \"**1970-01-01-07:00**\" and \"**1970-01-01+05:30**\" are all valid dates. The time zone offset must either be `Z` (representing the UTC time zone) or be in the format `±hh:mm:ss`. The seconds field in the timezone offset will be considered valid even though it is not part of the ISO 8601 standard.",
    ),
    (
        "AWSTime",
        "The `AWSTime` scalar type provided by AWS AppSync, represents a valid ***extended*** [ISO 8601 Time](https://en.wikipedia.org/wiki/ISO_8601#Times) string. In other words, this scalar type accepts time strings of the form `hh:mm:ss.SSS`.  The field after the two digit seconds field is a nanoseconds field. It can accept between 1 and 9 digits. So, for example, \"**12:00:00.2**\", \"**12:00:00.277**\" and \"**12:00:00.123456789**\" are all valid time strings. The seconds and nanoseconds fields are optional (the seconds field must be specified if the nanoseconds field is to be used).  This scalar type can also accept an optional [time zone offset](https://en.wikipedia.org/wiki/ISO_8601#Time_zone_designators). For example, \"**12:30**\", \"**12:30Z**\", \"**12:30:24-07:00**\" and \"**12:30:24.500+05:30**\" are all valid time strings. The time zone offset must either be `Z` (representing the UTC time zone) or be in the format `±hh:mm:ss`. The seconds field in the timezone offset will be considered valid even though it is not part of the ISO 8601 standard.",
    ),
    (
        "AWSDateTime",
        "The `AWSDateTime` scalar type provided by AWS AppSync, represents a valid ***extended*** [ISO 8601 DateTime](https://en.wikipedia.org/wiki/ISO_8601#Combined_date_and_time_representations) string. In other words, this scalar type accepts datetime strings of the form `YYYY-MM-DDThh:mm:ss.SSSZ`.  The scalar can also accept \"negative years\" of the form `-YYYY` which correspond to years before `0000`. For example, \"**-2017-01-01T00:00Z**\" and \"**-9999-01-01T00:00Z**\" are both valid datetime strings.  The field after the two digit seconds field is a nanoseconds field. It can accept between 1 and 9 digits. So, for example, \"**1970-01-01T12:00:00.2Z**\", \"**1970-01-01T12:00:00.277Z**\" and \"**1970-01-01T12:00:00.123456789Z**\" are all valid datetime strings.  The seconds and nanoseconds fields are optional (the seconds field must be specified if the nanoseconds field is to be used).  The [time zone offset](https://en.wikipedia.org/wiki/ISO_8601#Time_zone_designators) is compulsory for this scalar. The time zone offset must either be `Z` (representing the UTC time zone) or be in the format `±hh:mm:ss`. The seconds field in the timezone offset will be considered valid even though it is not part of the ISO 8601 standard.",
    ),
    (
        "AWSTimestamp",
        "The `AWSTimestamp` scalar type provided by AWS AppSync, represents the number of seconds that have elapsed since `1970-01-01T00:00Z`. Negative values are also accepted and these represent the number of seconds till `1970-01-01T00:00Z`.  Timestamps are serialized and deserialized as integers. The minimum supported timestamp value is **`-31557014167219200`** which corresponds to `-1000000000-01-01T00:00Z`. The maximum supported timestamp value is **`31556889864403199`** which corresponds to `1000000000-12-31T23:59:59.999999999Z`.",
    ),
    (
        "AWSEmail",
        "The `AWSEmail` scalar type provided by AWS AppSync, represents an Email address string that complies with [RFC 822](https://www.ietf.org/rfc/rfc822.txt). For example, \"**username@example.com**\" is a valid Email address.",
    ),
    (
        "AWSJSON",
        r#"The `AWSJSON` scalar type provided by AWS AppSync, represents a JSON string that complies with [RFC 8259](https://tools.ietf.org/html/rfc8259).  Maps like "**{\\"upvotes\\": 10}**", lists like "**[1,2,3]**", and scalar values like "**\\"AWSJSON example string\\"**", "**1**", and "**true**" are accepted as valid JSON and will automatically be parsed and loaded in the resolver mapping templates as Maps, Lists, or Scalar values rather than as the literal input strings.  Invalid JSON strings like "**{a: 1}**", "**{'a': 1}**" and "**Unquoted string**" will throw GraphQL validation errors."#,
    ),
    (
        "AWSPhone",
        "The `AWSPhone` scalar type provided by AWS AppSync, represents a valid Phone Number. Phone numbers are serialized and deserialized as Strings. Segments of the phone number may be whitespace delimited or hyphenated.  The number can specify a country code at the beginning. However, United States numbers without country codes are still considered to be valid.",
    ),
    (
        "AWSURL",
        "The `AWSURL` scalar type provided by AWS AppSync, represents a valid URL string (Ex: <https://www.amazon.com/>). The URL may use any scheme and may also be a local URL (Ex: <http://localhost/>).  URLs without schemes like \"**amazon.com**\" or \"**www.amazon.com**\" are considered invalid. URLs which contain double slashes (two consecutive forward slashes) in their path are also considered invalid.",
    ),
];

/// Gives AppSync's declarations their descriptions and locations, adds `@defer` if the user did
/// not declare one, and drops `@specifiedBy` (AppSync's schemas have none) unless the schema
/// uses it. Names the user declared are left as the user wrote them.
pub(crate) fn as_appsync_shows_it(schema: &mut Schema, declared: &std::collections::HashSet<String>) {
    for d in &DIRECTIVES {
        if declared.contains(d.name) {
            continue;
        }
        let Some(def) = schema.directive_definitions.get_mut(d.name) else {
            continue;
        };
        let def = def.make_mut();
        def.description = Some(Node::new_str(d.description));
        def.locations = d.locations.to_vec();
        if let (Some(text), [argument]) = (d.argument, def.arguments.as_mut_slice()) {
            let argument: &mut InputValueDefinition = argument.make_mut();
            argument.description = Some(Node::new_str(text));
        }
    }
    for (name, description) in SCALARS {
        if declared.contains(name) {
            continue;
        }
        if let Some(ExtendedType::Scalar(scalar)) = schema.types.get_mut(name) {
            scalar.make_mut().description = Some(Node::new_str(description));
        }
    }
    if !declared.contains("specifiedBy") && !uses_specified_by(schema) {
        schema.directive_definitions.shift_remove("specifiedBy");
    }
}

fn uses_specified_by(schema: &Schema) -> bool {
    schema.types.values().any(|t| match t {
        ExtendedType::Scalar(s) => s.directives.get("specifiedBy").is_some(),
        _ => false,
    })
}
