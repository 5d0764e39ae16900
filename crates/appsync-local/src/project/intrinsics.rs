//! CloudFormation's intrinsic functions, evaluated as a local deployment would: `Ref`,
//! `Fn::GetAtt`, `Fn::Sub` (both forms), `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap`,
//! `Fn::Base64`, `Fn::GetAZs`, `Fn::If` over the template's `Conditions` (`Fn::Equals`, `Fn::Not`,
//! `Fn::And`, `Fn::Or`, `Condition`); parameters take their `Default`; pseudo parameters have fixed local
//! values. What only a real deployment knows (generated names, ids) gets a stable local stand-in:
//! a resource's logical id.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Map, Value};

use crate::error::{Error, Kind};

/// `AWS::AccountId` locally: the account id AWS's documentation uses in its examples.
pub const LOCAL_ACCOUNT_ID: &str = "123456789012";

/// Where a value sits, for errors: the resource's logical id and the property path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'a> {
    pub(crate) resource: &'a str,
    pub(crate) property: &'a str,
}

impl At<'_> {
    pub(crate) fn error(&self, expected: impl std::fmt::Display) -> Error {
        Error::new(
            Kind::Project,
            format!("resource {}, property {}: {expected}", self.resource, self.property),
        )
    }
}

/// One template's resources, parameters and pseudo parameters.
pub(crate) struct Intrinsics<'t> {
    resources: &'t Map<String, Value>,
    mappings: Option<&'t Map<String, Value>>,
    conditions: Option<&'t Map<String, Value>>,
    parameters: HashMap<String, Value>,
    region: String,
    stack_name: String,
}

impl<'t> Intrinsics<'t> {
    /// `given` overrides parameter defaults (a nested stack's `Parameters`).
    pub(crate) fn new(
        template: &'t Value,
        stack_name: &str,
        region: &str,
        given: &HashMap<String, Value>,
    ) -> Result<Self, Error> {
        let empty: &'static Map<String, Value> = empty_map();
        let resources = template.get("Resources").and_then(Value::as_object).unwrap_or(empty);
        let mappings = template.get("Mappings").and_then(Value::as_object);
        let conditions = template.get("Conditions").and_then(Value::as_object);
        let mut parameters = HashMap::new();
        if let Some(declared) = template.get("Parameters").and_then(Value::as_object) {
            for (name, declaration) in declared {
                let value = given.get(name).cloned().or_else(|| declaration.get("Default").cloned());
                if let Some(value) = value {
                    // A CommaDelimitedList default is one string; Ref of it is the list.
                    let value = match (declaration.get("Type").and_then(Value::as_str), value) {
                        (Some("CommaDelimitedList" | "List<String>"), Value::String(s)) => {
                            Value::Array(s.split(',').map(|p| Value::String(p.trim().to_owned())).collect())
                        }
                        (_, Value::Number(n)) => Value::String(n.to_string()),
                        (_, v) => v,
                    };
                    parameters.insert(name.clone(), value);
                }
            }
        }
        Ok(Self {
            resources,
            mappings,
            conditions,
            parameters,
            region: region.to_owned(),
            stack_name: stack_name.to_owned(),
        })
    }

    pub(crate) fn resources(&self) -> &'t Map<String, Value> {
        self.resources
    }

    /// `value` with every intrinsic function evaluated; `None` when it is `AWS::NoValue`.
    pub(crate) fn resolve(&self, value: &Value, at: At<'_>) -> Result<Option<Value>, Error> {
        match value {
            Value::Object(map) if map.len() == 1 => {
                let Some((key, argument)) = map.iter().next() else { return Ok(Some(value.clone())) };
                match key.as_str() {
                    "Ref" => self.reference(argument, at),
                    "Fn::GetAtt" => self.get_att(argument, at).map(Some),
                    "Fn::Sub" => self.sub(argument, at).map(|s| Some(Value::String(s))),
                    "Fn::Join" => self.join(argument, at).map(|s| Some(Value::String(s))),
                    "Fn::Select" => self.select(argument, at),
                    "Fn::Split" => self.split(argument, at).map(Some),
                    "Fn::FindInMap" => self.find_in_map(argument, at).map(Some),
                    "Fn::Base64" => {
                        let text = self.string(argument, at)?;
                        Ok(Some(Value::String(base64::engine::general_purpose::STANDARD.encode(text))))
                    }
                    "Fn::If" => self.if_(argument, at),
                    "Fn::GetAZs" => Ok(Some(Value::Array(
                        ["a", "b", "c"].iter().map(|z| Value::String(format!("{}{z}", self.region))).collect(),
                    ))),
                    key if key.starts_with("Fn::") || key == "Condition" => Err(at.error(format!(
                        "{key} cannot be evaluated locally (the reader knows Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::FindInMap, Fn::Base64, Fn::GetAZs, Fn::If)"
                    ))),
                    _ => self.object(map, at),
                }
            }
            Value::Object(map) => self.object(map, at),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if let Some(v) = self.resolve(item, at)? {
                        out.push(v);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => Ok(Some(other.clone())),
        }
    }

    /// Whether the resource `id` is created: it has no `Condition`, or its condition holds.
    pub(crate) fn exists(&self, id: &str) -> Result<bool, Error> {
        match self.resources.get(id).and_then(|r| r.get("Condition")) {
            None => Ok(true),
            Some(Value::String(name)) => self.condition(name, At { resource: id, property: "Condition" }, 0),
            Some(other) => Err(At { resource: id, property: "Condition" }
                .error(format!("expected a condition's name, found {other}"))),
        }
    }

    fn condition(&self, name: &str, at: At<'_>, depth: usize) -> Result<bool, Error> {
        let Some(expression) = self.conditions.and_then(|c| c.get(name)) else {
            return Err(at.error(format!("the template's Conditions have no {name}")));
        };
        self.truth(expression, at, depth + 1)
    }

    /// A condition expression's value.
    fn truth(&self, expression: &Value, at: At<'_>, depth: usize) -> Result<bool, Error> {
        if depth > 32 {
            return Err(at.error("the conditions refer to each other in a cycle"));
        }
        let Some((key, argument)) =
            expression.as_object().filter(|m| m.len() == 1).and_then(|m| m.iter().next())
        else {
            return match expression {
                Value::Bool(b) => Ok(*b),
                Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
                other => Err(at.error(format!("expected a condition, found {other}"))),
            };
        };
        let items = || argument.as_array().map(Vec::as_slice).unwrap_or_default();
        match key.as_str() {
            "Condition" => {
                let name = argument.as_str().ok_or_else(|| at.error("Condition takes a name"))?;
                self.condition(name, at, depth)
            }
            "Fn::Equals" => match items() {
                [a, b] => Ok(self.resolve(a, at)? == self.resolve(b, at)?
                    || self.string(a, at).ok().zip(self.string(b, at).ok()).is_some_and(|(a, b)| a == b)),
                _ => Err(at.error("Fn::Equals takes [a, b]")),
            },
            "Fn::Not" => match items() {
                [c] => Ok(!self.truth(c, at, depth + 1)?),
                _ => Err(at.error("Fn::Not takes [condition]")),
            },
            "Fn::And" => items().iter().try_fold(true, |acc, c| Ok(acc && self.truth(c, at, depth + 1)?)),
            "Fn::Or" => items().iter().try_fold(false, |acc, c| Ok(acc || self.truth(c, at, depth + 1)?)),
            other => Err(at.error(format!(
                "{other} is not a condition function (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition)"
            ))),
        }
    }

    fn if_(&self, argument: &Value, at: At<'_>) -> Result<Option<Value>, Error> {
        let Some([name, then, otherwise]) = argument.as_array().map(Vec::as_slice) else {
            return Err(at.error("Fn::If takes [condition, value if true, value if false]"));
        };
        let name = name.as_str().ok_or_else(|| at.error("Fn::If: the condition must be a name"))?;
        let branch = if self.condition(name, at, 0)? { then } else { otherwise };
        self.resolve(branch, at)
    }

    fn object(&self, map: &Map<String, Value>, at: At<'_>) -> Result<Option<Value>, Error> {
        let mut out = Map::new();
        for (key, value) in map {
            if let Some(v) = self.resolve(value, at)? {
                out.insert(key.clone(), v);
            }
        }
        Ok(Some(Value::Object(out)))
    }

    /// `value` evaluated, as a string (numbers and booleans are written out, as CloudFormation does).
    pub(crate) fn string(&self, value: &Value, at: At<'_>) -> Result<String, Error> {
        match self.resolve(value, at)? {
            Some(Value::String(s)) => Ok(s),
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(Value::Bool(b)) => Ok(b.to_string()),
            Some(other) => Err(at.error(format!("expected a string, found {other}"))),
            None => Err(at.error("expected a string, found AWS::NoValue")),
        }
    }

    fn reference(&self, argument: &Value, at: At<'_>) -> Result<Option<Value>, Error> {
        let Some(name) = argument.as_str() else {
            return Err(at.error(format!("Ref takes a name, found {argument}")));
        };
        if let Some(value) = self.pseudo(name) {
            return Ok(value.map(Value::String));
        }
        if let Some(value) = self.parameters.get(name) {
            return Ok(Some(value.clone()));
        }
        let Some(resource) = self.resources.get(name) else {
            return Err(at.error(format!(
                "Ref {name}: no parameter or resource has that name, or the parameter has no Default"
            )));
        };
        let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
        let property = |p: &str| -> Result<Option<String>, Error> {
            match resource.get("Properties").and_then(|props| props.get(p)) {
                Some(v) => self.string(v, At { resource: name, property: p }).map(Some),
                None => Ok(None),
            }
        };
        let value = match kind {
            // A table's, function's or queue's Ref is its name: the given one, else the logical id
            // (where CloudFormation would generate one).
            "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => {
                property("TableName")?.unwrap_or_else(|| name.to_owned())
            }
            "AWS::Lambda::Function" => property("FunctionName")?.unwrap_or_else(|| name.to_owned()),
            "AWS::IAM::Role" => property("RoleName")?.unwrap_or_else(|| name.to_owned()),
            "AWS::AppSync::GraphQLApi" | "AWS::AppSync::Api" => self.arn("appsync", &format!("apis/{name}")),
            "AWS::AppSync::DataSource" => {
                let api = self.api_of(resource, name)?;
                let ds = property("Name")?.unwrap_or_else(|| name.to_owned());
                self.arn("appsync", &format!("apis/{api}/datasources/{ds}"))
            }
            _ => name.to_owned(),
        };
        Ok(Some(Value::String(value)))
    }

    fn pseudo(&self, name: &str) -> Option<Option<String>> {
        Some(Some(match name {
            "AWS::Region" => self.region.clone(),
            "AWS::AccountId" => LOCAL_ACCOUNT_ID.to_owned(),
            "AWS::Partition" => "aws".to_owned(),
            "AWS::URLSuffix" => "amazonaws.com".to_owned(),
            "AWS::StackName" => self.stack_name.clone(),
            "AWS::StackId" => format!(
                "arn:aws:cloudformation:{}:{LOCAL_ACCOUNT_ID}:stack/{}/00000000-0000-0000-0000-000000000000",
                self.region, self.stack_name
            ),
            "AWS::NotificationARNs" => String::new(),
            "AWS::NoValue" => return Some(None),
            _ => return None,
        }))
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!("arn:aws:{service}:{}:{LOCAL_ACCOUNT_ID}:{resource}", self.region)
    }

    /// The API id a resource's `ApiId` property names.
    fn api_of(&self, resource: &Value, name: &str) -> Result<String, Error> {
        match resource.get("Properties").and_then(|p| p.get("ApiId")) {
            Some(v) => self.string(v, At { resource: name, property: "ApiId" }),
            None => Err(At { resource: name, property: "ApiId" }
                .error("expected the API's id (Fn::GetAtt Api.ApiId)")),
        }
    }

    fn get_att(&self, argument: &Value, at: At<'_>) -> Result<Value, Error> {
        let (name, attribute) = match argument {
            Value::Array(parts) if parts.len() == 2 => {
                let name =
                    parts[0].as_str().ok_or_else(|| at.error("Fn::GetAtt: the resource must be a name"))?;
                let attribute = self.string(&parts[1], at)?;
                (name.to_owned(), attribute)
            }
            Value::String(s) => match s.split_once('.') {
                Some((n, a)) => (n.to_owned(), a.to_owned()),
                None => return Err(at.error(format!("Fn::GetAtt {s}: expected Resource.Attribute"))),
            },
            other => return Err(at.error(format!("Fn::GetAtt takes [Resource, Attribute], found {other}"))),
        };
        let Some(resource) = self.resources.get(&name) else {
            return Err(
                at.error(format!("Fn::GetAtt {name}.{attribute}: the template has no resource {name}"))
            );
        };
        let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
        let property = |p: &str| -> Result<Option<String>, Error> {
            match resource.get("Properties").and_then(|props| props.get(p)) {
                Some(v) => self.string(v, At { resource: &name, property: p }).map(Some),
                None => Ok(None),
            }
        };
        let value = match (kind, attribute.as_str()) {
            ("AWS::AppSync::GraphQLApi" | "AWS::AppSync::Api", "ApiId") => name.clone(),
            ("AWS::AppSync::Api", "ApiArn") => self.arn("appsync", &format!("apis/{name}")),
            ("AWS::AppSync::Api", "Dns.Http" | "Dns.Realtime") => "127.0.0.1:4000".to_owned(),
            ("AWS::AppSync::GraphQLApi", "Arn") => self.arn("appsync", &format!("apis/{name}")),
            ("AWS::AppSync::GraphQLApi", "GraphQLUrl") => format!("http://127.0.0.1:4000/graphql#{name}"),
            ("AWS::AppSync::GraphQLApi", "RealtimeUrl") => {
                format!("ws://127.0.0.1:4000/graphql/realtime#{name}")
            }
            ("AWS::AppSync::GraphQLApi", "GraphQLDns" | "RealtimeDns") => "127.0.0.1:4000".to_owned(),
            ("AWS::AppSync::GraphQLApi", "GraphQLEndpointArn") => {
                self.arn("appsync", &format!("endpoints/graphql-api/{name}"))
            }
            ("AWS::AppSync::FunctionConfiguration", "FunctionId") => name.clone(),
            ("AWS::AppSync::FunctionConfiguration", "FunctionArn") => {
                let api = self.api_of(resource, &name)?;
                self.arn("appsync", &format!("apis/{api}/functions/{name}"))
            }
            (
                "AWS::AppSync::FunctionConfiguration" | "AWS::AppSync::DataSource",
                "Name" | "DataSourceName",
            ) => {
                let p = if attribute == "Name" { "Name" } else { "DataSourceName" };
                property(p)?.ok_or_else(|| At { resource: &name, property: p }.error("expected a name"))?
            }
            ("AWS::AppSync::DataSource", "DataSourceArn") => {
                let api = self.api_of(resource, &name)?;
                let ds = property("Name")?.unwrap_or_else(|| name.clone());
                self.arn("appsync", &format!("apis/{api}/datasources/{ds}"))
            }
            ("AWS::AppSync::Resolver", "ResolverArn") => self.arn("appsync", &format!("resolvers/{name}")),
            ("AWS::AppSync::ApiKey", "ApiKey") => format!("da2-{}", name.to_lowercase()),
            ("AWS::Lambda::Function", "Arn") => {
                let function = property("FunctionName")?.unwrap_or_else(|| name.clone());
                self.arn("lambda", &format!("function:{function}"))
            }
            ("AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable", "Arn") => {
                let table = property("TableName")?.unwrap_or_else(|| name.clone());
                self.arn("dynamodb", &format!("table/{table}"))
            }
            ("AWS::IAM::Role", "Arn") => {
                let role = property("RoleName")?.unwrap_or_else(|| name.clone());
                format!("arn:aws:iam::{LOCAL_ACCOUNT_ID}:role/{role}")
            }
            // Anything else: a stable stand-in that says where it came from.
            (_, "Arn") => self.arn("local", &name),
            _ => format!("{name}.{attribute}"),
        };
        Ok(Value::String(value))
    }

    fn sub(&self, argument: &Value, at: At<'_>) -> Result<String, Error> {
        let (text, variables) = match argument {
            Value::String(s) => (s.as_str(), Map::new()),
            Value::Array(parts) if parts.len() == 2 => {
                let text =
                    parts[0].as_str().ok_or_else(|| at.error("Fn::Sub: the first item must be a string"))?;
                let Some(Value::Object(vars)) = self.resolve(&parts[1], at)? else {
                    return Err(at.error("Fn::Sub: the second item must be a map of variables"));
                };
                (text, vars)
            }
            other => {
                return Err(
                    at.error(format!("Fn::Sub takes a string or [string, {{variables}}], found {other}"))
                );
            }
        };
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                return Err(at.error(format!("Fn::Sub {text:?}: an unclosed ${{")));
            };
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = variables.get(name) {
                out.push_str(&self.string(value, at)?);
            } else if name.contains('.') && !name.starts_with("AWS::") {
                let value = self.get_att(&Value::String(name.to_owned()), at)?;
                out.push_str(&self.string(&value, at)?);
            } else {
                let value = self.reference(&Value::String(name.to_owned()), at)?.unwrap_or_default();
                out.push_str(&self.string(&value, at)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn join(&self, argument: &Value, at: At<'_>) -> Result<String, Error> {
        let Value::Array(parts) = argument else {
            return Err(at.error(format!("Fn::Join takes [delimiter, [values]], found {argument}")));
        };
        let [delimiter, list] = parts.as_slice() else {
            return Err(at.error("Fn::Join takes [delimiter, [values]]"));
        };
        let delimiter =
            delimiter.as_str().ok_or_else(|| at.error("Fn::Join: the delimiter must be a string"))?;
        let Some(Value::Array(items)) = self.resolve(list, at)? else {
            return Err(at.error("Fn::Join: the second item must be a list"));
        };
        let items = items.iter().map(|i| self.string(i, at)).collect::<Result<Vec<_>, _>>()?;
        Ok(items.join(delimiter))
    }

    fn select(&self, argument: &Value, at: At<'_>) -> Result<Option<Value>, Error> {
        let Value::Array(parts) = argument else {
            return Err(at.error("Fn::Select takes [index, [values]]"));
        };
        let [index, list] = parts.as_slice() else {
            return Err(at.error("Fn::Select takes [index, [values]]"));
        };
        let index: usize = self
            .string(index, at)?
            .parse()
            .map_err(|_| at.error("Fn::Select: the index must be a number"))?;
        let Some(Value::Array(items)) = self.resolve(list, at)? else {
            return Err(at.error("Fn::Select: the second item must be a list"));
        };
        items
            .get(index)
            .cloned()
            .map(Some)
            .ok_or_else(|| at.error(format!("Fn::Select: no item {index} in a list of {}", items.len())))
    }

    fn split(&self, argument: &Value, at: At<'_>) -> Result<Value, Error> {
        let Value::Array(parts) = argument else {
            return Err(at.error("Fn::Split takes [delimiter, string]"));
        };
        let [delimiter, text] = parts.as_slice() else {
            return Err(at.error("Fn::Split takes [delimiter, string]"));
        };
        let delimiter =
            delimiter.as_str().ok_or_else(|| at.error("Fn::Split: the delimiter must be a string"))?;
        let text = self.string(text, at)?;
        Ok(Value::Array(text.split(delimiter).map(|s| Value::String(s.to_owned())).collect()))
    }

    fn find_in_map(&self, argument: &Value, at: At<'_>) -> Result<Value, Error> {
        let Value::Array(parts) = argument else {
            return Err(at.error("Fn::FindInMap takes [map, key, key]"));
        };
        let [map, first, second] = parts.as_slice() else {
            return Err(at.error("Fn::FindInMap takes [map, key, key]"));
        };
        let (map, first, second) = (self.string(map, at)?, self.string(first, at)?, self.string(second, at)?);
        self.mappings
            .and_then(|m| m.get(&map))
            .and_then(|m| m.get(&first))
            .and_then(|m| m.get(&second))
            .cloned()
            .ok_or_else(|| at.error(format!("Fn::FindInMap: Mappings has no {map}.{first}.{second}")))
    }
}

fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::{Value, json};

    use super::{At, Intrinsics};

    const AT: At<'static> = At { resource: "R", property: "P" };

    fn eval(template: &Value, value: Value) -> Result<Option<Value>, crate::Error> {
        let given = HashMap::from([("Given".to_owned(), json!("from-parent"))]);
        Intrinsics::new(template, "stack", "eu-west-1", &given).unwrap().resolve(&value, AT)
    }

    #[test]
    fn every_function_the_reader_knows() {
        let template = json!({
            "Parameters": {
                "Names": {"Type": "CommaDelimitedList", "Default": "a, b,c"},
                "Given": {"Type": "String", "Default": "default"},
                "Size": {"Type": "Number", "Default": 3}
            },
            "Resources": {
                "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "echo"}},
                "Api": {"Type": "AWS::AppSync::GraphQLApi", "Properties": {}},
                "Thing": {"Type": "AWS::SQS::Queue"}
            }
        });
        let cases = [
            (json!({"Fn::Select": [1, {"Ref": "Names"}]}), json!("b")),
            (json!({"Fn::Split": ["/", "x/y"]}), json!(["x", "y"])),
            (json!({"Fn::Base64": "hi"}), json!("aGk=")),
            (json!({"Fn::Select": ["0", {"Fn::GetAZs": ""}]}), json!("eu-west-1a")),
            (json!({"Ref": "Given"}), json!("from-parent")),
            (json!({"Ref": "Size"}), json!("3")),
            (json!({"Ref": "AWS::StackName"}), json!("stack")),
            (
                json!({"Fn::GetAtt": ["Fn", "Arn"]}),
                json!("arn:aws:lambda:eu-west-1:123456789012:function:echo"),
            ),
            (json!({"Fn::GetAtt": "Api.ApiId"}), json!("Api")),
            (json!({"Ref": "Api"}), json!("arn:aws:appsync:eu-west-1:123456789012:apis/Api")),
            (json!({"Fn::GetAtt": ["Thing", "QueueUrl"]}), json!("Thing.QueueUrl")),
            (
                json!({"Fn::Sub": "${Fn.Arn}|${AWS::Region}|${!Not}|${Given}"}),
                json!("arn:aws:lambda:eu-west-1:123456789012:function:echo|eu-west-1|${Not}|from-parent"),
            ),
            (json!({"Fn::Join": [",", [{"Ref": "AWS::NoValue"}, "a", 1]]}), json!("a,1")),
            (json!({"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}), json!({"B": [1]})),
        ];
        for (input, expected) in cases {
            assert_eq!(eval(&template, input.clone()).unwrap(), Some(expected), "{input}");
        }
        assert_eq!(eval(&template, json!({"Ref": "AWS::NoValue"})).unwrap(), None);
        for (input, message) in [
            (json!({"Ref": "Missing"}), "resource R, property P: Ref Missing: no parameter or resource"),
            (json!({"Fn::GetAtt": ["Missing", "Arn"]}), "the template has no resource Missing"),
            (json!({"Fn::Sub": "${Open"}), "an unclosed ${"),
            (json!({"Fn::Select": [5, ["a"]]}), "no item 5 in a list of 1"),
            (json!({"Fn::If": ["Nope", 1, 2]}), "the template's Conditions have no Nope"),
            (json!({"Fn::Cidr": ["10.0.0.0/16", 1, 8]}), "Fn::Cidr cannot be evaluated locally"),
        ] {
            let err = eval(&template, input.clone()).unwrap_err();
            assert!(err.is_project() && err.to_string().contains(message), "{input}: {err}");
        }
    }

    #[test]
    fn conditions_in_a_cycle_are_an_error_not_a_hang() {
        let template =
            json!({"Conditions": {"A": {"Condition": "B"}, "B": {"Fn::Not": [{"Condition": "A"}]}}});
        let err = eval(&template, json!({"Fn::If": ["A", 1, 2]})).unwrap_err();
        assert!(err.to_string().contains("cycle"), "{err}");
    }
}
