//! The precedence table of [`super`], one row per test: which source wins, what is never
//! read or asked, and how a missing token is refused.

use super::*;
use crate::error::{hint_of, kind_of};
use crate::secrets::{MemoryStore, StoreKind};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};

const STDIN: &str = "cfut_from_stdin_000000000000000000000000000";
const ENV: &str = "cfut_from_env_00000000000000000000000000000";
const STORED: &str = "cfut_from_store_0000000000000000000000000000";
const TYPED: &str = "cfut_typed_at_the_prompt_000000000000000000";

/// A terminal (or not) with scripted answers; records what it was asked.
struct Script {
    interactive: bool,
    keep_stored: bool,
    asked: RefCell<Vec<String>>,
}

impl Script {
    fn terminal(keep_stored: bool) -> Script {
        Script {
            interactive: true,
            keep_stored,
            asked: RefCell::default(),
        }
    }
    fn none() -> Script {
        Script {
            interactive: false,
            keep_stored: true,
            asked: RefCell::default(),
        }
    }
}

impl Prompter for Script {
    fn interactive(&self) -> bool {
        self.interactive
    }
    fn select(&mut self, _: &str, _: &[String], _: usize, _: &str) -> anyhow::Result<usize> {
        unreachable!("no select")
    }
    fn multi_select(
        &mut self,
        _: &str,
        _: &[String],
        _: &[bool],
        _: &str,
    ) -> anyhow::Result<Vec<usize>> {
        unreachable!("no multi-select")
    }
    fn input(
        &mut self,
        _: &str,
        _: Option<&str>,
        _: &dyn Fn(&str) -> Result<(), String>,
        _: &str,
    ) -> anyhow::Result<String> {
        unreachable!("no input")
    }
    fn password(&mut self, prompt: &str, flag: &str) -> anyhow::Result<Secret> {
        assert!(self.interactive, "a password prompt without a terminal");
        assert_eq!(flag, "--token-stdin");
        self.asked.borrow_mut().push(prompt.to_string());
        Ok(Secret::new(TYPED))
    }
    fn confirm(&mut self, prompt: &str, _: bool, _: &str) -> anyhow::Result<bool> {
        assert!(self.interactive, "a confirm without a terminal");
        self.asked.borrow_mut().push(prompt.to_string());
        Ok(self.keep_stored)
    }
}

/// A store that counts its reads, and can fail them.
struct Counted {
    inner: MemoryStore,
    reads: AtomicUsize,
    broken: bool,
}

impl Counted {
    fn with(token: Option<&str>) -> Counted {
        let inner = MemoryStore::new();
        if let Some(t) = token {
            inner.set("default", &Secret::new(t)).unwrap();
        }
        Counted {
            inner,
            reads: AtomicUsize::new(0),
            broken: false,
        }
    }
    fn broken() -> Counted {
        Counted {
            broken: true,
            ..Counted::with(None)
        }
    }
}

impl SecretStore for Counted {
    fn kind(&self) -> StoreKind {
        StoreKind::Memory
    }
    fn describe(&self) -> String {
        "the test store".into()
    }
    fn get(&self, profile: &str) -> anyhow::Result<Option<Secret>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        if self.broken {
            anyhow::bail!("the test store cannot be read");
        }
        self.inner.get(profile)
    }
    fn set(&self, p: &str, s: &Secret) -> anyhow::Result<()> {
        self.inner.set(p, s)
    }
    fn delete(&self, p: &str) -> anyhow::Result<bool> {
        self.inner.delete(p)
    }
}

fn ui() -> Ui {
    Ui::new(false, true, false, true)
}

fn from_stdin() -> anyhow::Result<Secret> {
    Ok(Secret::new(STDIN))
}

fn never_stdin() -> anyhow::Result<Secret> {
    panic!("standard input must not be read")
}

fn sources<'a>(
    ui: &'a Ui,
    sandbox: bool,
    env: Option<&str>,
    stdin: &'a dyn Fn() -> anyhow::Result<Secret>,
) -> Sources<'a> {
    Sources {
        sandbox,
        env: env.map(Secret::new),
        stdin,
        ui,
    }
}

fn stored(store: &Counted, offer: bool) -> Option<Stored<'_>> {
    Some(Stored {
        store,
        profile: "default",
        offer,
    })
}

fn ask(p: &mut Script) -> Option<Ask<'_>> {
    Some(Ask {
        prompter: p,
        question: "Paste a token",
        intro: &[],
    })
}

/// Setup's re-run without stdin or env: the stored token offered, and the prompt.
fn offered(store: &Counted, p: &mut Script) -> anyhow::Result<(Secret, TokenSource)> {
    let ui = ui();
    resolve(
        &sources(&ui, false, None, &never_stdin),
        Wants {
            stored: stored(store, true),
            prompt: ask(p),
            ..Wants::default()
        },
    )
}

/// Everything offered at once (setup's wants), with `sandbox`, `stdin` and `env` as given.
fn setup_run(sandbox: bool, token_stdin: bool, env: Option<&str>) -> (TokenSource, Secret, usize) {
    let ui = ui();
    let store = Counted::with(Some(STORED));
    let mut p = Script::terminal(true);
    let reader: &dyn Fn() -> anyhow::Result<Secret> = if token_stdin {
        &from_stdin
    } else {
        &never_stdin
    };
    let (t, s) = resolve(
        &sources(&ui, sandbox, env, reader),
        Wants {
            token_stdin,
            env: true,
            stored: stored(&store, true),
            prompt: ask(&mut p),
        },
    )
    .unwrap();
    (s, t, store.reads.load(Ordering::Relaxed))
}

#[test]
fn row_1_the_sandbox_ignores_stdin_env_and_the_store() {
    let ui = ui();
    let store = Counted::with(Some(STORED));
    let mut p = Script::terminal(true);
    let (t, s) = resolve(
        &sources(&ui, true, Some(ENV), &never_stdin),
        Wants {
            token_stdin: true,
            env: true,
            stored: stored(&store, true),
            prompt: ask(&mut p),
        },
    )
    .unwrap();
    assert_eq!(s, TokenSource::Sandbox);
    assert_eq!(t.expose(), crate::emulator::sandbox::TOKEN);
    assert_eq!(
        store.reads.load(Ordering::Relaxed),
        0,
        "the store is not read"
    );
    assert!(p.asked.borrow().is_empty(), "nothing is asked");
}

#[test]
fn row_2_token_stdin_beats_env_and_store() {
    let (s, t, reads) = setup_run(false, true, Some(ENV));
    assert_eq!((s, t.expose()), (TokenSource::Stdin, STDIN));
    assert_eq!(reads, 0);
}

#[test]
fn row_3_env_beats_the_store_which_is_not_read() {
    let (s, t, reads) = setup_run(false, false, Some(ENV));
    assert_eq!((s, t.expose()), (TokenSource::EnvVar, ENV));
    assert_eq!(reads, 0);
}

#[test]
fn row_3_env_is_skipped_when_the_command_does_not_take_it() {
    let ui = ui();
    let mut p = Script::terminal(true);
    let (t, s) = resolve(
        &sources(&ui, false, Some(ENV), &never_stdin),
        Wants::given(false, false, ask(&mut p).unwrap()),
    )
    .unwrap();
    assert_eq!((s, t.expose()), (TokenSource::Prompt, TYPED));
}

#[test]
fn row_4_the_stored_token_for_a_daily_command_without_asking() {
    let ui = ui();
    let store = Counted::with(Some(STORED));
    let (t, s) = resolve(
        &sources(&ui, false, None, &never_stdin),
        Wants::daily(&store, "default"),
    )
    .unwrap();
    assert_eq!((s, t.expose()), (TokenSource::Stored, STORED));
    assert_eq!(store.reads.load(Ordering::Relaxed), 1);
}

#[test]
fn row_4_setup_on_a_terminal_asks_to_keep_the_stored_token() {
    let (s, t, reads) = setup_run(false, false, None);
    assert_eq!((s, t.expose()), (TokenSource::Stored, STORED));
    assert_eq!(reads, 1);

    // Answering no leads to the prompt.
    let store = Counted::with(Some(STORED));
    let mut p = Script::terminal(false);
    let (t, s) = offered(&store, &mut p).unwrap();
    assert_eq!((s, t.expose()), (TokenSource::Prompt, TYPED));
    let asked = p.asked.borrow();
    assert!(asked[0].starts_with("Keep the stored token"), "{asked:?}");
    assert!(
        !asked[0].contains(STORED),
        "the question shows the token masked"
    );
    assert_eq!(asked[1], "Paste a token");
}

#[test]
fn row_4_without_a_terminal_the_stored_token_is_kept_without_asking() {
    let store = Counted::with(Some(STORED));
    let mut p = Script::none();
    let (t, s) = offered(&store, &mut p).unwrap();
    assert_eq!((s, t.expose()), (TokenSource::Stored, STORED));
}

#[test]
fn row_4_an_unreadable_store_fails_a_daily_command_but_setup_asks_instead() {
    let ui = ui();
    let store = Counted::broken();
    let e = resolve(
        &sources(&ui, false, None, &never_stdin),
        Wants::daily(&store, "default"),
    )
    .unwrap_err();
    assert!(format!("{e:#}").contains("cannot be read"), "{e:#}");

    let mut p = Script::terminal(true);
    let (_, s) = offered(&store, &mut p).unwrap();
    assert_eq!(s, TokenSource::Prompt);
}

#[test]
fn row_5_the_prompt_only_on_a_terminal() {
    let ui = ui();
    let mut p = Script::terminal(true);
    let (t, s) = resolve(
        &sources(&ui, false, None, &never_stdin),
        Wants::given(false, true, ask(&mut p).unwrap()),
    )
    .unwrap();
    assert_eq!((s, t.expose()), (TokenSource::Prompt, TYPED));

    // No terminal: exit 2 naming --token-stdin and the variable; nothing asked.
    let mut p = Script::none();
    let e = resolve(
        &sources(&ui, false, None, &never_stdin),
        Wants::given(false, true, ask(&mut p).unwrap()),
    )
    .unwrap_err();
    assert_eq!(kind_of(&e), Kind::Usage);
    let hint = hint_of(&e).unwrap();
    assert!(
        hint.contains("--token-stdin") && hint.contains("CLOUDFLARE_API_TOKEN"),
        "{hint}"
    );

    // The admin token does not take the variable, so the hint does not offer it.
    let mut p = Script::none();
    let e = resolve(
        &sources(&ui, false, None, &never_stdin),
        Wants::given(false, false, ask(&mut p).unwrap()),
    )
    .unwrap_err();
    assert!(!hint_of(&e).unwrap().contains("CLOUDFLARE_API_TOKEN"));
}

#[test]
fn nothing_stored_and_no_prompt_allowed_is_exit_3_naming_rotate() {
    let ui = ui();
    let store = Counted::with(None);
    let e = resolve(
        &sources(&ui, false, None, &never_stdin),
        Wants::daily(&store, "work"),
    )
    .unwrap_err();
    assert_eq!(kind_of(&e), Kind::Auth);
    assert!(format!("{e}").contains("profile 'work'"), "{e}");
    assert!(
        hint_of(&e)
            .unwrap()
            .contains("aigate rotate --profile work")
    );
}

#[test]
fn a_value_that_cannot_be_a_token_is_refused_whatever_its_source() {
    let ui = ui();
    let store = Counted::with(Some("cfut_with\u{7}bell"));
    let e = resolve(
        &sources(&ui, false, None, &never_stdin),
        Wants::daily(&store, "default"),
    )
    .unwrap_err();
    assert_eq!(kind_of(&e), Kind::Usage);
    assert!(format!("{e}").contains("the stored token"), "{e}");
    assert!(
        !format!("{e:#}").contains("cfut_with"),
        "never quotes the value"
    );
}

#[test]
fn env_over_stored_is_the_same_order() {
    let (env, st) = (Secret::new(ENV), Secret::new(STORED));
    assert_eq!(
        env_over_stored(Some(&env), Some(&st)).map(|(_, s)| s),
        Some(TokenSource::EnvVar)
    );
    assert_eq!(
        env_over_stored(None, Some(&st)).map(|(_, s)| s),
        Some(TokenSource::Stored)
    );
    assert!(env_over_stored(None, None).is_none());
}

#[test]
fn stdin_is_trimmed_of_one_newline_and_refused_when_empty_or_not_a_token() {
    assert_eq!(
        parse_stdin(format!("{STDIN}\r\n").into_bytes())
            .unwrap()
            .expose(),
        STDIN
    );
    for bad in [&b"\n"[..], b"two words\n", b"\xff\xfe"] {
        let e = parse_stdin(bad.to_vec()).unwrap_err();
        assert_eq!(kind_of(&e), Kind::Usage, "{bad:?}");
    }
}
