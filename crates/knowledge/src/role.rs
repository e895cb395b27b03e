//! One record of the role catalogue.

use serde::Deserialize;

use crate::{Error, check_source};

/// The fewest and the most everyday descriptions a role may have (when it has any).
pub const MIN_DESCRIBED: usize = 3;
/// See `MIN_DESCRIBED`.
pub const MAX_DESCRIBED: usize = 8;

/// A role the NHS employs people in, with what the source pages say about it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Unique id, `role.name`.
    pub id: String,
    /// The role's usual name.
    pub name: String,
    /// Other names people use for it ("physio", "OT").
    pub aliases: Vec<String>,
    /// How people describe the job when they don't know its title, in everyday words of what
    /// the person does ("takes blood", "the people who do scans"): 3 to 8 phrases, or none.
    #[serde(default)]
    pub described_as: Vec<String>,
    /// Its Health Careers role category.
    pub category: String,
    /// What the role does.
    pub what: String,
    /// Ways into the role.
    pub entry_routes: Vec<String>,
    /// The qualifications it needs.
    pub qualifications: String,
    /// The body it registers with; empty when none is named.
    pub regulator: String,
    /// How long training takes; empty when the sources do not say.
    pub training: String,
    /// Whether the sources call it in demand.
    pub in_demand: bool,
    /// Why it is in demand.
    pub demand: String,
    /// Where people in this role work.
    pub settings: Vec<String>,
    /// The knowledge entry with the fuller answer.
    pub entry: String,
    /// The pages the record rests on.
    pub sources: Vec<String>,
    /// The file the role came from.
    #[serde(skip)]
    pub file: String,
}

impl Role {
    /// Parses a role record; errors name `file` and the line.
    pub fn parse(file: &str, text: &str) -> Result<Role, Error> {
        let mut role: Role = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| matcher::line_of(text, s.start));
            Error::invalid(file, line, crate::toml_message(&e))
        })?;
        role.file = file.to_owned();
        let line_of = |needle: &str| text.find(needle).map_or(1, |at| matcher::line_of(text, at));
        if !role.id.starts_with("role.") {
            return Err(Error::invalid(
                file,
                line_of("id"),
                "a role id must start with 'role.'",
            ));
        }
        if role.name.trim().is_empty() || role.what.trim().is_empty() {
            return Err(Error::invalid(
                file,
                line_of("name"),
                "a role needs a name and 'what'",
            ));
        }
        if role.sources.is_empty() {
            return Err(Error::invalid(
                file,
                line_of("sources"),
                "give at least one source link",
            ));
        }
        for source in &role.sources {
            check_source(file, line_of(source), source)?;
        }
        let described = role.described_as.len();
        if described > 0 && !(MIN_DESCRIBED..=MAX_DESCRIBED).contains(&described) {
            let message = format!(
                "give {MIN_DESCRIBED} to {MAX_DESCRIBED} phrases in 'described_as', not {described}"
            );
            return Err(Error::invalid(file, line_of("described_as"), message));
        }
        let mut seen = std::collections::HashSet::new();
        for phrase in &role.described_as {
            let normal = phrase.trim().to_lowercase();
            if normal.is_empty() || !seen.insert(normal) {
                let message = format!("'described_as' has an empty or repeated phrase '{phrase}'");
                return Err(Error::invalid(file, line_of("described_as"), message));
            }
        }
        Ok(role)
    }

    /// Every name the role goes by: its name and its aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// Every text that says which role this is: its names, the everyday words for what it
    /// does (`described_as`), and what it does.
    pub fn descriptions(&self) -> impl Iterator<Item = &str> {
        self.names()
            .chain(self.described_as.iter().map(String::as_str))
            .chain(std::iter::once(self.what.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"id = "role.physiotherapist"
name = "Physiotherapist"
aliases = ["physio"]
described_as = ["helps you move again", "exercises after an injury", "sorts out bad backs"]
category = "Allied health professions"
what = "Helps people move."
entry_routes = ["A degree"]
qualifications = "A degree and HCPC registration."
regulator = "HCPC"
training = "3-4 years"
in_demand = true
demand = "Rehabilitation."
settings = ["hospitals"]
entry = "groups.allied-health"
sources = ["https://www.healthcareers.nhs.uk/explore-roles"]
"#;

    #[test]
    fn parses_and_checks_roles() {
        let role = Role::parse("roles/physio.toml", VALID).expect("valid");
        assert_eq!(
            role.names().collect::<Vec<_>>(),
            ["Physiotherapist", "physio"]
        );
        let err = Role::parse(
            "r.toml",
            &VALID.replace("in_demand = true", "in_demand = \"yes\""),
        )
        .expect_err("not a boolean");
        assert!(err.to_string().starts_with("r.toml:11: "), "{err}");
        let err = Role::parse("r.toml", &VALID.replace("role.physio", "physio")).expect_err("id");
        assert_eq!(
            err.to_string(),
            "r.toml:1: a role id must start with 'role.'"
        );
        let err = Role::parse("r.toml", &VALID.replace("regulator = \"HCPC\"\n", ""))
            .expect_err("missing field");
        assert_eq!(err.to_string(), "r.toml:1: missing field `regulator`");
        let err = Role::parse("r.toml", &VALID.replace(", \"sorts out bad backs\"", ""))
            .expect_err("too few descriptions");
        assert_eq!(
            err.to_string(),
            "r.toml:4: give 3 to 8 phrases in 'described_as', not 2"
        );
        let err = Role::parse(
            "r.toml",
            &VALID.replace("sorts out bad backs", "Helps you move again"),
        )
        .expect_err("repeated description");
        assert!(err.to_string().starts_with("r.toml:4: "), "{err}");
        let role = Role::parse("r.toml", &VALID.replace(
            "described_as = [\"helps you move again\", \"exercises after an injury\", \"sorts out bad backs\"]\n",
            "",
        ))
        .expect("described_as may be left out");
        assert!(role.described_as.is_empty());
    }
}
