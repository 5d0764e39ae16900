//! A CloudFormation template from its text, JSON or YAML, as JSON with every short-form tag
//! (`!Ref x`, `!GetAtt a.b`, `!Sub ...`) turned into its long form (`{"Ref": "x"}`...).

use saphyr::{LoadableYamlNode as _, Scalar, Yaml};
use serde_json::{Map, Number, Value};

use crate::error::{Error, Kind};

/// Parses a template; `path` names it in errors.
pub(crate) fn parse(text: &str, path: &str) -> Result<Value, Error> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| {
            Error::new(
                Kind::Project,
                format!("{path} is not valid JSON (line {}, column {})", e.line(), e.column()),
            )
            .with_source(e)
        });
    }
    let documents = Yaml::load_from_str(text)
        .map_err(|e| Error::new(Kind::Project, format!("{path} is not valid YAML: {e}")).with_source(e))?;
    let Some(document) = documents.first() else {
        return Err(Error::new(Kind::Project, format!("{path} is empty")));
    };
    let value = to_json(document, path, "")?;
    if !value.is_object() {
        return Err(Error::new(
            Kind::Project,
            format!("{path}: a template is a mapping (Resources, Parameters...)"),
        ));
    }
    Ok(value)
}

/// `at` is the path of the node in the template, for errors (`Resources.Api.Properties`).
fn to_json(node: &Yaml<'_>, path: &str, at: &str) -> Result<Value, Error> {
    Ok(match node {
        Yaml::Value(scalar) => scalar_to_json(scalar),
        Yaml::Representation(text, _, _) => Value::String(text.to_string()),
        Yaml::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| to_json(item, path, &format!("{at}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                let key = match key {
                    Yaml::Value(scalar) => match scalar_to_json(scalar) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    },
                    Yaml::Representation(text, _, _) => text.to_string(),
                    _ => {
                        return Err(Error::new(
                            Kind::Project,
                            format!(
                                "{path}: at {at}: a mapping key must be a plain value, not a collection or a tagged node"
                            ),
                        ));
                    }
                };
                let inner = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                let value = to_json(value, path, &inner)?;
                map.insert(key, value);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tag, inner) => {
            let value = to_json(inner, path, at)?;
            if tag.handle != "!" {
                return Err(Error::new(
                    Kind::Project,
                    format!(
                        "{path}: at {at}: unknown tag {}{}; CloudFormation's are !Ref, !GetAtt, !Sub, !Join...",
                        tag.handle, tag.suffix
                    ),
                ));
            }
            long_form(&tag.suffix, value, path, at)?
        }
        Yaml::Alias(_) => {
            return Err(Error::new(
                Kind::Project,
                format!("{path}: at {at}: YAML aliases are not allowed in CloudFormation templates"),
            ));
        }
        Yaml::BadValue => {
            return Err(Error::new(Kind::Project, format!("{path}: at {at}: a value YAML cannot read")));
        }
    })
}

fn scalar_to_json(scalar: &Scalar<'_>) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(b) => Value::Bool(*b),
        Scalar::Integer(i) => Value::Number((*i).into()),
        Scalar::FloatingPoint(f) => Number::from_f64(f.into_inner()).map_or(Value::Null, Value::Number),
        Scalar::String(s) => Value::String(s.to_string()),
    }
}

/// `!Name value` as CloudFormation's JSON form.
fn long_form(name: &str, value: Value, path: &str, at: &str) -> Result<Value, Error> {
    let (key, value) = match name {
        "Ref" | "Condition" => (name.to_owned(), value),
        "GetAtt" => {
            // `!GetAtt Resource.Attribute` (the attribute may itself hold dots: `Outputs.Name`).
            let value = match value {
                Value::String(s) => match s.split_once('.') {
                    Some((resource, attribute)) => Value::Array(vec![resource.into(), attribute.into()]),
                    None => {
                        return Err(Error::new(
                            Kind::Project,
                            format!("{path}: at {at}: !GetAtt {s} needs Resource.Attribute"),
                        ));
                    }
                },
                other => other,
            };
            ("Fn::GetAtt".to_owned(), value)
        }
        other => (format!("Fn::{other}"), value),
    };
    let mut map = Map::new();
    map.insert(key, value);
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::parse;

    #[test]
    fn short_forms_become_long_forms() {
        let yaml = "Resources:\n  A:\n    Type: T\n    Properties:\n      Id: !GetAtt Api.ApiId\n      Out: !GetAtt Nested.Outputs.Name\n      Name: !Ref Stage\n      Url: !Sub 'https://${Host}'\n      Arn: !Sub\n        - 'arn:${X}'\n        - X: !Ref Y\n      Joined: !Join ['', [a, !Ref B]]\n      Count: 3\n      On: true\n      Date: 2010-09-09\n";
        let value = parse(yaml, "t.yaml").unwrap();
        assert_eq!(
            value["Resources"]["A"]["Properties"],
            json!({
                "Id": {"Fn::GetAtt": ["Api", "ApiId"]},
                "Out": {"Fn::GetAtt": ["Nested", "Outputs.Name"]},
                "Name": {"Ref": "Stage"},
                "Url": {"Fn::Sub": "https://${Host}"},
                "Arn": {"Fn::Sub": ["arn:${X}", {"X": {"Ref": "Y"}}]},
                "Joined": {"Fn::Join": ["", ["a", {"Ref": "B"}]]},
                "Count": 3,
                "On": true,
                "Date": "2010-09-09"
            })
        );
    }

    #[test]
    fn json_and_errors() {
        assert_eq!(parse("{\"Resources\": {}}", "t.json").unwrap(), json!({"Resources": {}}));
        let err = parse("{\"Resources\": ", "t.json").unwrap_err();
        assert!(err.is_project() && err.to_string().starts_with("t.json is not valid JSON"), "{err}");
        let err = parse("Resources: [a, b\n", "t.yaml").unwrap_err();
        assert!(err.to_string().starts_with("t.yaml is not valid YAML"), "{err}");
        let err = parse("A: !GetAtt NoDot\n", "t.yaml").unwrap_err();
        assert!(err.to_string().contains("needs Resource.Attribute"), "{err}");
    }
}
