//! The crate's modules import only downwards: each top-level module of `src/`
//! may use (through `crate::` paths) only modules of lower layers, as listed in
//! the "Layers" section of `src/lib.rs`'s docs, so no cycle can form.
//!
//! The check reads the source itself: comments and string literals are skipped,
//! and so is test-only code (`#[cfg(test)]` items and the files they declare),
//! which may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A top-level module importing another one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Import {
    from: String,
    to: String,
    /// The file (relative to `src/`) the import is written in.
    file: String,
}

#[test]
fn modules_import_only_from_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    let layers = documented_layers(&lib);
    let modules = top_level_modules(&src);

    let unlisted: Vec<&String> = modules
        .iter()
        .filter(|m| !layers.contains_key(*m))
        .collect();
    let missing: Vec<&String> = layers.keys().filter(|m| !modules.contains(m)).collect();
    assert!(
        unlisted.is_empty() && missing.is_empty(),
        "the Layers section of lib.rs's docs must list every top-level module of src/: \
         add {unlisted:?} in a layer above every module it imports; remove {missing:?}"
    );

    let imports = crate_imports(&src, &lib);
    let upward: Vec<String> = imports
        .iter()
        .filter(|i| layers[&i.to] >= layers[&i.from])
        .map(|i| {
            format!(
                "src/{}: `{}` (layer {}) imports `{}` (layer {})",
                i.file, i.from, layers[&i.from], i.to, layers[&i.to]
            )
        })
        .collect();
    assert!(
        upward.is_empty(),
        "imports against the layering documented in lib.rs:\n{}",
        upward.join("\n")
    );

    let largest = largest_cycle(&modules, &imports);
    assert!(
        largest.len() <= 2,
        "modules import each other in a cycle: {}",
        largest.join(" ")
    );
}

#[test]
fn an_import_from_a_higher_layer_is_found() {
    let text = r#"
        //! Mentions crate::server in a comment, which is no import.
        use crate::{error::Error, routing::{Routes, Topic}};
        use crate::Result;
        fn f() -> &'static str { "crate::cli" }
        fn g() { crate::server::spawn(); }
        #[cfg(test)]
        mod tests { use crate::testing::TestApp; }
    "#;
    let reexports = BTreeMap::from([("Result".to_owned(), "error".to_owned())]);
    let found = imports_in(text, &reexports);
    assert_eq!(
        found,
        BTreeSet::from(["error", "routing", "server"].map(str::to_owned))
    );
}

#[test]
fn the_layers_section_is_read_by_number() {
    let lib = "//! # Layers\n//!\n//! 1. `error`: the error type\n//! 2. `config`, `logging`: see `Config`\n//!\n//! # Other\n//! 3. `nothing`: outside the section\n";
    let layers = documented_layers(lib);
    assert_eq!(
        layers,
        BTreeMap::from([
            ("error".to_owned(), 1),
            ("config".to_owned(), 2),
            ("logging".to_owned(), 2)
        ])
    );
}

/// `module -> layer number` from the numbered list under `# Layers` in lib.rs's
/// docs: `//! N. `a`, `b`: what they are`.
fn documented_layers(lib: &str) -> BTreeMap<String, usize> {
    let mut layers = BTreeMap::new();
    let mut inside = false;
    for line in lib.lines() {
        let Some(doc) = line.trim_start().strip_prefix("//!") else {
            continue;
        };
        let doc = doc.trim();
        if doc.starts_with('#') {
            inside = doc.trim_start_matches('#').trim() == "Layers";
            continue;
        }
        if !inside {
            continue;
        }
        let Some((number, rest)) = doc.split_once(". ") else {
            continue;
        };
        let Ok(number) = number.parse::<usize>() else {
            continue;
        };
        let names = rest.split_once(": ").map_or(rest, |(names, _)| names);
        for name in names.split(',') {
            let name = name.trim().trim_matches('`');
            let previous = layers.insert(name.to_owned(), number);
            assert!(previous.is_none(), "`{name}` is listed twice in Layers");
        }
    }
    assert!(!layers.is_empty(), "lib.rs has no `# Layers` list");
    layers
}

/// The crate's top-level modules: `src/*.rs` and `src/*/` (without the crate
/// root and the binaries, which are crates of their own).
fn top_level_modules(src: &Path) -> Vec<String> {
    let mut modules: Vec<String> = std::fs::read_dir(src)
        .expect("src/")
        .map(|entry| entry.expect("a src/ entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            if path.is_dir() {
                (name != "bin").then_some(name)
            } else {
                let module = name.strip_suffix(".rs")?;
                (module != "lib" && module != "main").then(|| module.to_owned())
            }
        })
        .collect();
    modules.sort();
    modules.dedup();
    modules
}

/// Every import between two different top-level modules, outside test-only code.
fn crate_imports(src: &Path, lib: &str) -> BTreeSet<Import> {
    let reexports = root_reexports(lib);
    let mut imports = BTreeSet::new();
    for module in top_level_modules(src) {
        // `module.rs`, `module/` or both (`config.rs` with `config/swarm.rs`).
        let dir = src.join(&module);
        let file = src.join(format!("{module}.rs"));
        let mut files = if dir.is_dir() {
            rust_files(&dir)
        } else {
            Vec::new()
        };
        if file.is_file() {
            files.push(file);
        }
        files.retain(|file| !is_test_only(file));
        for file in files {
            let text = std::fs::read_to_string(&file).expect("a source file");
            let relative = file.strip_prefix(src).expect("under src/").display();
            for to in imports_in(&text, &reexports) {
                if to != module {
                    imports.insert(Import {
                        from: module.clone(),
                        to,
                        file: relative.to_string(),
                    });
                }
            }
        }
    }
    imports
}

/// A file that its parent module declares only under `#[cfg(test)]`
/// (`#[cfg(test)] mod tests;`).
fn is_test_only(file: &Path) -> bool {
    let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
        return false;
    };
    if stem == "mod" {
        return false;
    }
    let parent = file.parent().expect("a file in a directory");
    [parent.join("mod.rs"), parent.with_extension("rs")]
        .iter()
        .filter_map(|declaring| std::fs::read_to_string(declaring).ok())
        .any(|text| {
            let tokens = tokens(&text);
            (0..tokens.len()).any(|i| {
                if !is_test_cfg(&tokens, i) {
                    return false;
                }
                let item = &tokens[matching(&tokens, i + 1) + 1..];
                item.len() >= 3 && item[0] == "mod" && item[1] == stem && item[2] == ";"
            })
        })
}

/// Whether `#[cfg(test)]` starts at `i`.
fn is_test_cfg(tokens: &[String], i: usize) -> bool {
    let expected = ["#", "[", "cfg", "(", "test", ")", "]"];
    tokens.len() >= i + expected.len()
        && tokens[i..i + expected.len()]
            .iter()
            .zip(expected)
            .all(|(token, want)| token == want)
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a module directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `Name -> module` for the crate root's `pub use module::...` re-exports, so
/// `crate::Error` counts as an import of `error`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let tokens = tokens(lib);
    let mut reexports = BTreeMap::new();
    let mut i = 0;
    while i + 2 < tokens.len() {
        if tokens[i] == "pub" && tokens[i + 1] == "use" {
            let module = tokens[i + 2].clone();
            let end = tokens[i..]
                .iter()
                .position(|t| t == ";")
                .map_or(tokens.len(), |p| i + p);
            // The last name of each path in the use tree is what the root exports.
            for (j, token) in tokens[i + 2..end].iter().enumerate() {
                let next = tokens.get(i + 2 + j + 1).map(String::as_str);
                if is_ident(token) && matches!(next, Some(",") | Some("}") | Some(";")) {
                    reexports.insert(token.clone(), module.clone());
                }
            }
            i = end;
        }
        i += 1;
    }
    reexports
}

/// The top-level modules `text` reaches through `crate::` paths (including
/// `use crate::{a::..., b}` groups and re-exports of the crate root), outside
/// `#[cfg(test)]` items.
fn imports_in(text: &str, reexports: &BTreeMap<String, String>) -> BTreeSet<String> {
    let tokens = without_test_items(tokens(text));
    let mut found = BTreeSet::new();
    let mut add = |name: &str| {
        if let Some(module) = reexports.get(name) {
            found.insert(module.clone());
        } else if name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && !matches!(name, "self" | "super" | "__private")
        {
            found.insert(name.to_owned());
        }
    };
    let mut i = 0;
    while i + 2 < tokens.len() {
        if tokens[i] == "crate" && tokens[i + 1] == "::" {
            if tokens[i + 2] == "{" {
                let end = matching(&tokens, i + 2);
                let mut depth = 0;
                let mut expect_first = true;
                for token in &tokens[i + 3..end] {
                    match token.as_str() {
                        "{" => depth += 1,
                        "}" => depth -= 1,
                        "," if depth == 0 => expect_first = true,
                        name if depth == 0 && expect_first && is_ident(name) => {
                            add(name);
                            expect_first = false;
                        }
                        _ => {}
                    }
                }
            } else {
                add(&tokens[i + 2]);
            }
        }
        i += 1;
    }
    found
}

/// `tokens` without every item marked `#[cfg(test)]` (up to its `;` or its
/// closing brace).
fn without_test_items(tokens: Vec<String>) -> Vec<String> {
    let mut kept = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if !is_test_cfg(&tokens, i) {
            kept.push(tokens[i].clone());
            i += 1;
            continue;
        }
        let mut j = matching(&tokens, i + 1) + 1;
        while j < tokens.len() && tokens[j] != ";" && tokens[j] != "{" {
            j += 1;
        }
        i = if j < tokens.len() && tokens[j] == "{" {
            matching(&tokens, j) + 1
        } else {
            j + 1
        };
    }
    kept
}

/// The index of the bracket closing the one at `open`.
fn matching(tokens: &[String], open: usize) -> usize {
    let (opening, closing) = match tokens[open].as_str() {
        "{" => ("{", "}"),
        "[" => ("[", "]"),
        _ => ("(", ")"),
    };
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if token == opening {
            depth += 1;
        } else if token == closing {
            depth -= 1;
            if depth == 0 {
                return i;
            }
        }
    }
    tokens.len() - 1
}

fn is_ident(token: &str) -> bool {
    token.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

/// Rust tokens of `text`, enough for paths: identifiers, `::` and single
/// punctuation; comments, strings and character literals are dropped.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && matches!(next, Some('"') | Some('#'))
            && raw_string_end(&chars, i).is_some()
        {
            i = raw_string_end(&chars, i).unwrap_or(chars.len());
        } else if c == 'b' && next == Some('"') {
            i = string_end(&chars, i + 1);
        } else if c == '"' {
            i = string_end(&chars, i);
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{..}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if c == ':' && next == Some(':') {
            tokens.push("::".to_owned());
            i += 2;
        } else {
            tokens.push(c.to_string());
            i += 1;
        }
    }
    tokens
}

/// Just past the closing quote of the string whose opening quote is at `open`.
fn string_end(chars: &[char], open: usize) -> usize {
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// Just past a raw string (`r"..."`, `r#"..."#`) starting at `start`, if one does.
fn raw_string_end(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    if chars.get(i) != Some(&'"') {
        return None;
    }
    i += 1;
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|h| chars.get(i + h) == Some(&'#')) {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(chars.len())
}

/// The largest set of modules that import each other, directly or not (Tarjan).
fn largest_cycle(modules: &[String], imports: &BTreeSet<Import>) -> Vec<String> {
    let index_of: BTreeMap<&str, usize> = modules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    let mut edges = vec![BTreeSet::new(); modules.len()];
    for import in imports {
        if let (Some(&a), Some(&b)) = (
            index_of.get(import.from.as_str()),
            index_of.get(import.to.as_str()),
        ) {
            edges[a].insert(b);
        }
    }
    let mut tarjan = Tarjan {
        edges: &edges,
        index: vec![None; modules.len()],
        low: vec![0; modules.len()],
        stack: Vec::new(),
        on_stack: vec![false; modules.len()],
        next: 0,
        components: Vec::new(),
    };
    for v in 0..modules.len() {
        if tarjan.index[v].is_none() {
            tarjan.visit(v);
        }
    }
    let largest = tarjan
        .components
        .into_iter()
        .max_by_key(Vec::len)
        .unwrap_or_default();
    largest.into_iter().map(|i| modules[i].clone()).collect()
}

struct Tarjan<'a> {
    edges: &'a [BTreeSet<usize>],
    index: Vec<Option<usize>>,
    low: Vec<usize>,
    stack: Vec<usize>,
    on_stack: Vec<bool>,
    next: usize,
    components: Vec<Vec<usize>>,
}

impl Tarjan<'_> {
    fn visit(&mut self, v: usize) {
        self.index[v] = Some(self.next);
        self.low[v] = self.next;
        self.next += 1;
        self.stack.push(v);
        self.on_stack[v] = true;
        for &w in self.edges[v].iter() {
            match self.index[w] {
                None => {
                    self.visit(w);
                    self.low[v] = self.low[v].min(self.low[w]);
                }
                Some(index) if self.on_stack[w] => self.low[v] = self.low[v].min(index),
                Some(_) => {}
            }
        }
        if Some(self.low[v]) == self.index[v] {
            let mut component = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            self.components.push(component);
        }
    }
}
