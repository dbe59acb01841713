//! Values of the `${NAME}` variables that typed text refers to.
//!
//! Values come from `--var NAME=value` or, failing that, from the
//! environment variable `NAME`. They are typed and nothing else: the type
//! holding them prints no value in `Debug`, and reports, logs and artefact
//! names only ever name the variable.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::model::{Action, Header, Step, Text};

/// The variables' values for one run.
#[derive(Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, String>,
}

/// Variables used by the trajectory without a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no value for {}: pass --var NAME=value or set NAME in the environment",
    .missing.iter().map(|n| format!("${{{n}}}")).collect::<Vec<_>>().join(", ")
)]
pub struct MissingVars {
    pub missing: Vec<String>,
}

/// A `--var` argument that is not `NAME=value`. The argument itself is not
/// repeated in the message: it may be a value typed in the wrong place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a --var argument is not NAME=value (NAME made of letters, digits and _){}",
    .0.as_ref().map(|n| format!(": the name is {n:?}")).unwrap_or_default()
)]
pub struct BadVarArg(pub Option<String>);

/// Parses one `--var NAME=value` argument. The value may contain `=`.
pub fn parse_var_arg(arg: &str) -> Result<(String, String), BadVarArg> {
    match arg.split_once('=') {
        Some((name, value)) if is_name(name) => Ok((name.to_string(), value.to_string())),
        Some((name, _)) => Err(BadVarArg(Some(name.to_string()))),
        None => Err(BadVarArg(None)),
    }
}

/// Variable names are those of environment variables: letters, digits and
/// `_`, not starting with a digit.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every variable a trajectory needs: those its header declares and those
/// its steps type, in name order.
pub fn needed(header: &Header, steps: &[Step]) -> BTreeSet<String> {
    let typed = steps.iter().filter_map(|s| match &s.action {
        Action::Type {
            text: Text::Variable(name),
        } => Some(name.clone()),
        _ => None,
    });
    header.variables.iter().cloned().chain(typed).collect()
}

impl Vars {
    /// Finds a value for every needed variable, first among `given`
    /// (`--var`), then through `env` (the process environment in
    /// practice). Every missing name is reported at once.
    pub fn resolve(
        needed: &BTreeSet<String>,
        given: &[(String, String)],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Vars, MissingVars> {
        let mut values = BTreeMap::new();
        let mut missing = Vec::new();
        for name in needed {
            let value = given
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .or_else(|| env(name));
            match value {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None => missing.push(name.clone()),
            }
        }
        if missing.is_empty() {
            Ok(Vars { values })
        } else {
            Err(MissingVars { missing })
        }
    }

    /// The value of a resolved variable.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

impl fmt::Debug for Vars {
    /// Names only: values must never reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.values.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CheckpointOverride, ScreenGeometry};

    fn typing(name: &str) -> Step {
        Step {
            at_us: 0,
            action: Action::Type {
                text: Text::Variable(name.into()),
            },
            frame: 0,
            checkpoint: CheckpointOverride::default(),
        }
    }

    #[test]
    fn var_arguments_split_at_the_first_equals_sign() {
        assert_eq!(
            parse_var_arg("TOKEN=a=b"),
            Ok(("TOKEN".into(), "a=b".into()))
        );
        assert_eq!(parse_var_arg("EMPTY="), Ok(("EMPTY".into(), "".into())));
        let err = parse_var_arg("hunter2").unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
        let err = parse_var_arg("9LIVES=x").unwrap_err();
        assert!(err.to_string().contains("\"9LIVES\""));
    }

    #[test]
    fn command_line_values_win_over_the_environment() {
        let mut header = Header::new(ScreenGeometry {
            width: 1,
            height: 1,
            depth: 24,
        });
        header.variables.push("USER".into());
        let need = needed(&header, &[typing("PASSWORD")]);
        let given = vec![("PASSWORD".to_string(), "from-cli".to_string())];
        let vars = Vars::resolve(&need, &given, |n| Some(format!("env-{n}"))).unwrap();
        assert_eq!(vars.get("PASSWORD"), Some("from-cli"));
        assert_eq!(vars.get("USER"), Some("env-USER"));
    }

    #[test]
    fn every_missing_variable_is_named_and_no_value_is_printed() {
        let need = needed(
            &Header::new(ScreenGeometry {
                width: 1,
                height: 1,
                depth: 24,
            }),
            &[typing("B"), typing("A"), typing("C")],
        );
        let given = vec![("C".to_string(), "hunter2".to_string())];
        let err = Vars::resolve(&need, &given, |_| None).unwrap_err();
        assert_eq!(err.missing, vec!["A", "B"]);
        assert!(err.to_string().contains("${A}, ${B}"));

        let vars = Vars::resolve(&need, &given, |_| Some("x".into())).unwrap();
        let shown = format!("{vars:?}");
        assert!(shown.contains("\"C\"") && !shown.contains("hunter2"));
    }
}
