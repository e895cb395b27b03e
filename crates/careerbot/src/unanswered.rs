//! `careerbot unanswered`: the questions the bot could not answer well, grouped by similarity
//! with the engine's own matcher, most asked first, each group with the knowledge entries
//! nearest to it, so that a maintainer can add the missing ways of asking (or a new entry).

use std::io::Write as _;

use engine::{Reason, StateStore as _, UnansweredGroup};

use crate::setup::Config;

/// Prints the groups as text, or as JSON with `json`.
pub fn run(config: &Config, json: bool) -> anyhow::Result<()> {
    let store = config.store()?;
    let questions = store.unanswered()?;
    let engine = config.engine()?;
    let total: u64 = questions.iter().map(|q| q.count).sum();
    let distinct = questions.len();
    let groups = engine.group_unanswered(questions);
    let mut out = std::io::stdout().lock();
    if json {
        let report = serde_json::json!({
            "questions": distinct,
            "asked": total,
            "groups": groups,
        });
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
        return Ok(());
    }
    if groups.is_empty() {
        writeln!(out, "No unanswered questions are recorded.")?;
        return Ok(());
    }
    writeln!(
        out,
        "{distinct} questions asked {total} times, in {} groups, most asked first (times in UTC).",
        groups.len()
    )?;
    for (number, group) in groups.iter().enumerate() {
        writeln!(out)?;
        print_group(&mut out, number + 1, group)?;
    }
    writeln!(
        out,
        "\nTo answer one: add it to the `questions` of the right entry in knowledge/ (or write a \
         new entry), run `careerbot check`, then reload the bot (SIGHUP). See knowledge/README.md."
    )?;
    Ok(())
}

fn print_group(
    out: &mut impl std::io::Write,
    number: usize,
    group: &UnansweredGroup,
) -> anyhow::Result<()> {
    let times = if group.count == 1 { "once" } else { "times" };
    let count = if group.count == 1 {
        String::new()
    } else {
        format!("{} ", group.count)
    };
    writeln!(
        out,
        "{number}. asked {count}{times}, first {}, last {}",
        date_time(group.first_seen),
        date_time(group.last_seen)
    )?;
    for question in &group.questions {
        let reason = match (question.reason, &question.topic) {
            (Reason::Fallback, Some(topic)) => format!("fallback: {topic}"),
            (Reason::Fallback, None) => "fallback".to_owned(),
            (Reason::LowConfidence, Some(topic)) => format!("weak answer: {topic}"),
            (Reason::LowConfidence, None) => "weak answer".to_owned(),
        };
        writeln!(
            out,
            "   {:>4}×  {:?}  ({reason})",
            question.count, question.text
        )?;
    }
    if !group.nearest.is_empty() {
        let nearest: Vec<String> = group
            .nearest
            .iter()
            .map(|n| format!("{} \"{}\" ({:.2})", n.id, n.title, n.confidence))
            .collect();
        writeln!(out, "   nearest entries: {}", nearest.join("; "))?;
    }
    Ok(())
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM` (UTC).
fn date_time(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(0);
    let (hour, minute) = ((seconds % 86_400) / 3600, (seconds % 3600) / 60);
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_civil_dates() {
        assert_eq!(date_time(0), "1970-01-01 00:00");
        assert_eq!(date_time(951_782_400), "2000-02-29 00:00");
        assert_eq!(date_time(1_700_000_000), "2023-11-14 22:13");
        assert_eq!(date_time(1_798_761_599), "2026-12-31 23:59");
    }
}
