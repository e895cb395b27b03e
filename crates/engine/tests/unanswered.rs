//! Unanswered questions on the real content: which turns count, and how `group_unanswered`
//! gathers similar questions and points at the nearest entries.

use std::path::Path;

use engine::{
    Content, Conversations, Engine, Input, MemoryStore, Reason, StateStore, Unanswered, UserKey,
};

fn engine() -> Engine {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let content =
        Content::from_dirs(&root.join("knowledge"), &root.join("intents")).expect("content files");
    Engine::new(&content).expect("content")
}

#[test]
fn fallbacks_and_weak_answers_count_but_never_safety_replies() {
    let engine = engine();
    let reason = |text: &str| {
        let (reply, _) = engine.turn(&Default::default(), &Input::text(text));
        engine.unanswered(&Input::text(text), &reply)
    };
    assert_eq!(
        reason("what's the weather like in Leeds tomorrow?"),
        Some(Reason::Fallback)
    );
    assert_eq!(reason("how do I apply for an NHS job?"), None);
    assert_eq!(reason("hiya"), None);
    for safety in [
        "my dad has crushing chest pain",
        "i've had a headache for three days",
    ] {
        let (reply, _) = engine.turn(&Default::default(), &Input::text(safety));
        assert!(engine.is_safety(&reply), "{safety}: {reply:?}");
        assert_eq!(
            engine.unanswered(&Input::text(safety), &reply),
            None,
            "{safety}"
        );
    }
    let (reply, _) = engine.turn(&Default::default(), &Input::press("Tell me more"));
    assert_eq!(
        engine.unanswered(&Input::press("Tell me more"), &reply),
        None
    );
}

#[test]
fn conversations_record_the_text_only_and_never_a_safety_message() {
    let conversations = Conversations::new(engine(), MemoryStore::default());
    let user = UserKey::new("telegram", "77");
    for text in [
        "whats the weather in york",
        "my friend collapsed and is not breathing",
        "how do i apply for nhs jobs",
        "Whats the weather in York",
    ] {
        conversations
            .handle(&user, &Input::text(text), 1_000)
            .expect("turn");
    }
    let recorded = conversations.store().unanswered().expect("list");
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    assert_eq!(
        (recorded[0].text.as_str(), recorded[0].count),
        ("whats the weather in york", 2)
    );
    let json = serde_json::to_string(&recorded).expect("json");
    assert!(!json.contains("77"), "no user id is kept: {json}");
}

#[test]
fn similar_questions_are_grouped_with_the_nearest_entries() {
    let engine = engine();
    let asked = |text: &str, count, at| Unanswered {
        count,
        ..Unanswered::new(text, Reason::Fallback, None, at)
    };
    let groups = engine.group_unanswered(vec![
        asked("whats the weather like in leeds", 3, 100),
        asked("what is the weather tomorrow", 1, 300),
        asked("can you book me a haircut", 1, 200),
        asked("do nhs staff get free parking at work", 2, 150),
        asked("is parking free for nhs staff", 1, 160),
        asked("wats the wether in london", 1, 250),
        asked("nurse pay scotland", 1, 170),
        asked("how much do nurses earn in scotland", 1, 180),
    ]);
    let texts: Vec<Vec<&str>> = groups
        .iter()
        .map(|g| g.questions.iter().map(|q| q.text.as_str()).collect())
        .collect();
    assert_eq!(
        texts,
        [
            vec![
                "whats the weather like in leeds",
                "what is the weather tomorrow",
                "wats the wether in london",
            ],
            vec![
                "do nhs staff get free parking at work",
                "is parking free for nhs staff"
            ],
            vec!["how much do nurses earn in scotland", "nurse pay scotland"],
            vec!["can you book me a haircut"],
        ]
    );
    assert_eq!(
        (groups[0].count, groups[0].first_seen, groups[0].last_seen),
        (5, 100, 300)
    );
    assert!(!groups[1].nearest.is_empty(), "{:?}", groups[1]);
    assert!(groups[1].nearest.iter().all(|n| !n.title.is_empty()));
}
