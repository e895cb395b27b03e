//! The engine's decisions on a small content set: answer, fall back, route to safety, follow a
//! reference back to the topic, press a button, and "tell me more".

use engine::{Content, Engine, Input, Reply, UserState};
use knowledge::SourceFile;

fn file(path: &str, text: &str) -> SourceFile {
    SourceFile {
        path: path.to_owned(),
        text: text.to_owned(),
    }
}

fn entry(
    id: &str,
    title: &str,
    subject: &str,
    questions: &[&str],
    answer: &str,
    more: &str,
) -> SourceFile {
    let questions: Vec<String> = questions.iter().map(|q| format!("{q:?}")).collect();
    file(
        &format!("knowledge/{id}.md"),
        &format!(
            "+++\nid = \"{id}\"\ntitle = \"{title}\"\nsubject = \"{subject}\"\nquestions = [{}]\n\
             check = [\"x\"]\nsources = [\"https://example.org/{id}\"]\n+++\n{answer}\n\n## More\n{more}\n",
            questions.join(", ")
        ),
    )
}

/// Two entries share these questions, so that they compete.
const PENSION_QUESTIONS: &[&str] = &[
    "does the nhs have a pension",
    "nhs pension scheme",
    "retirement savings",
    "is the pension good",
    "pension benefits",
    "workplace pension",
];

fn engine() -> Engine {
    let content = Content {
        knowledge: vec![
            entry(
                "routes.apprenticeships",
                "NHS apprenticeships",
                "apprenticeships",
                &[
                    "what apprenticeships are there",
                    "nhs apprenticeships",
                    "can i earn while i learn",
                    "apprenticeship levels",
                    "paid training schemes",
                    "apprentice jobs",
                ],
                "Apprenticeships run from level 2 to level 7.",
                "You earn while you learn, with no tuition fees.",
            ),
            entry(
                "quals.apprenticeships",
                "Apprenticeship requirements",
                "apprenticeship entry requirements",
                &[
                    "what qualifications do I need for an apprenticeship",
                    "apprenticeship entry requirements",
                    "grades for an apprenticeship",
                    "do apprenticeships need a levels",
                    "what do i need to start an apprenticeship",
                    "apprenticeship requirements",
                ],
                "Degree apprenticeships usually ask for A levels.",
                "Level 2 asks for basic literacy and numeracy.",
            ),
            entry(
                "benefits.pension",
                "The NHS pension",
                "the NHS pension",
                PENSION_QUESTIONS,
                "The NHS Pension Scheme is one of the most generous in the UK.",
                "Ask your employer for details.",
            ),
            entry(
                "benefits.pension-twin",
                "Pension contributions",
                "pension contributions",
                PENSION_QUESTIONS,
                "The NHS Pension Scheme is one of the most generous in the UK.",
                "Both you and your employer pay in.",
            ),
        ],
        intents: vec![
            file(
                "intents/lexicon.toml",
                "references = [\"that\", \"it\"]\nstop_words = [\"the\", \"a\", \"i\", \"do\", \"does\", \"how\", \"for\", \"what\", \"is\"]\n",
            ),
            file(
                "intents/messages.toml",
                r#"fallback = ["FALLBACK"]
fallback_suggestions = ["How do I apply?"]
did_you_mean = "DID YOU MEAN {options}?"
or = " OR "
clarify = "CLARIFY"
careers_unknown = "UNKNOWN"
role_fact_unknown = "NOT GIVEN {ask} {role}"
fact_not_in_topic = "NOT IN TOPIC {ask} {topic}"
empty = "EMPTY"
noted = "NOTED {facts}"
noted_with_greeting = "HELLO NOTED {facts}"
noted_briefly = "NOTED BRIEFLY {facts}"
more_label = "Tell me more"
no_more = "NO MORE ON {subject}"
more_without_topic = "MORE OF WHAT"
flood = "SLOW DOWN"
non_text = "TEXT ONLY"
unknown_command = "UNKNOWN /{command}"
forget_yes = "Yes, forget me"
forget_no = "No, keep it"
forgotten = "FORGOTTEN"
kept = "KEPT"
yes = ["yes"]
no = ["no"]
mydata = "STORED {facts}"
mydata_empty = "NOTHING STORED"
compare_words = ["compare"]
compare_intro = "COMPARING {roles}"
roles_fact_intro = "FOR {roles}"
compare_needs_roles = "WHICH ROLES"
and = " AND "
aspect = []
asking_for_note = "FOR {who}"
job_note = "JOB {job}"
job_before = ["i work as"]
job_after = ["here"]
role_cues = []
[mydata_labels]
age = "AGE"
stage = "STAGE"
nation = "NATION"
place = "PLACE"
job = "JOB"
asking_for = "ASKING FOR"
qualifications = "QUALIFICATIONS"
interests = "INTERESTS"
topic = "TOPIC"
role = "ROLE"
finder = "FINDER"
finder_progress = "{n}/{total}"
turns = "LAST {n}"
[role_labels]
what = "WHAT"
entry_routes = "ROUTES"
qualifications = "QUALS"
regulator = "REGULATOR"
training = "TRAINING"
demand = "DEMAND"
settings = "SETTINGS"
"#,
            ),
            file(
                "intents/finder.toml",
                r#"intro = "FINDER"
progress = "Q{n}/{total} "
resume = "RESUME "
not_understood = "PICK ONE"
result = "RESULT"
result_item = "{n}. {name}: {reason}"
reason_join = " AND "
next_step = "NEXT {next}"
[[family]]
id = "pensions"
name = "Pensions"
entry = "benefits.pension"
next = "READ"
[[question]]
ask = "PENSION?"
[[question.option]]
label = "Yes"
words = ["yes"]
reason = "YES"
families = ["pensions"]
[[question.option]]
label = "No"
words = ["no"]
reason = "NO"
families = []
"#,
            ),
            file(
                "intents/profile.toml",
                "age_before = [\"i am\"]\nage_after = []\nage_note = \"you're {age}\"\nfact = []\n",
            ),
            // The reading and safety stages read with the repository's own data.
            file(
                "intents/reading.toml",
                include_str!("../../../intents/reading.toml"),
            ),
            file(
                "intents/places.toml",
                include_str!("../../../intents/places.toml"),
            ),
            file(
                "intents/safety-signs.toml",
                include_str!("../../../intents/safety-signs.toml"),
            ),
            file(
                "intents/safety-examples.toml",
                include_str!("../../../intents/safety-examples.toml"),
            ),
            file(
                "intents/english.txt",
                include_str!("../../../intents/english.txt"),
            ),
            file(
                "intents/safety.toml",
                r#"[[intent]]
id = "safety.emergency"
kind = "emergency"
examples = ["someone has collapsed"]
triggers = ["not breathing", "chest pain"]
replies = ["CALL 999"]
[[intent]]
id = "smalltalk.greeting"
kind = "smalltalk"
examples = ["hi", "hello", "hiya"]
replies = ["HELLO"]
[[intent]]
id = "smalltalk.thanks"
kind = "smalltalk"
examples = ["thanks", "thank you"]
replies = ["WELCOME"]
[[intent]]
id = "smalltalk.goodbye"
kind = "smalltalk"
examples = ["bye", "goodbye"]
replies = ["BYE"]
[[intent]]
id = "context.more"
kind = "action"
action = "more"
examples = ["tell me more", "more please"]
"#,
            ),
        ],
    };
    Engine::new(&content).expect("content is valid")
}

/// Plays a conversation: each step is (input, expected topic or None, expected fallback, text
/// the reply must contain).
fn check(steps: &[(Input, Option<&str>, bool, &str)]) {
    let engine = engine();
    let mut state = UserState::default();
    for (input, topic, fallback, contains) in steps {
        let (reply, next): (Reply, UserState) = engine.turn(&state, input);
        assert_eq!(reply.topic.as_deref(), *topic, "{input:?} -> {reply:#?}");
        assert_eq!(reply.fallback, *fallback, "{input:?} -> {reply:#?}");
        assert!(
            reply.text.contains(contains),
            "{input:?}: {contains:?} not in {reply:#?}"
        );
        assert!((0.0..=1.0).contains(&reply.confidence));
        state = next;
    }
}

#[test]
fn answers_confidently_and_falls_back_otherwise() {
    check(&[
        (
            Input::text("what apprenticeships are there?"),
            Some("routes.apprenticeships"),
            false,
            "level 2",
        ),
        (
            Input::text("how tall is mount everest"),
            None,
            true,
            "FALLBACK",
        ),
        (Input::text("zzzzzz"), None, true, "FALLBACK"),
        (Input::text("   "), None, true, "EMPTY"),
        (
            Input::text("hiya"),
            Some("smalltalk.greeting"),
            false,
            "HELLO",
        ),
    ]);
}

#[test]
fn emergencies_win_over_everything() {
    check(&[(
        Input::text("my dad has chest pain, what apprenticeships are there"),
        Some("safety.emergency"),
        true,
        "999",
    )]);
}

#[test]
fn follow_ups_resolve_against_the_topic() {
    check(&[
        (
            Input::text("what apprenticeships are there?"),
            Some("routes.apprenticeships"),
            false,
            "level",
        ),
        (
            Input::text("what qualifications do I need for that?"),
            Some("quals.apprenticeships"),
            false,
            "A levels",
        ),
    ]);
    check(&[(
        Input::text("how long does that take?"),
        None,
        true,
        "CLARIFY",
    )]);
}

#[test]
fn tell_me_more_never_repeats() {
    check(&[
        (
            Input::text("the pension"),
            Some("benefits.pension"),
            false,
            "generous",
        ),
        (
            Input::press("Tell me more"),
            Some("benefits.pension"),
            false,
            "Ask your employer",
        ),
        (
            Input::text("apprenticeship levels"),
            Some("routes.apprenticeships"),
            false,
            "level 7",
        ),
        (
            Input::press("Tell me more"),
            Some("routes.apprenticeships"),
            false,
            "earn while you learn",
        ),
        (
            Input::text("tell me more"),
            Some("routes.apprenticeships"),
            false,
            "NO MORE ON apprenticeships",
        ),
    ]);
    check(&[(Input::text("tell me more"), None, true, "MORE OF WHAT")]);
}
