//! YAML text → an order-preserving JSON tree plus the line and column of every key path.
//!
//! Parsing is done by serde-saphyr (pure Rust, anchors, aliases and merge keys, a budget against
//! alias bombs). Scalars are typed the way go-yaml v3 types them for compose: `yes` stays a
//! string, `0440` is octal. The location map lets every later stage name the line of a key it
//! complains about. No I/O here: the caller hands in the text.
//!
//! Compose's `!reset` and `!override` tags are resolved here for the file on its own, the way
//! compose-go's reset processor does, and recorded for the merge with earlier files:
//!
//! * `key: !reset <anything>` is dropped from the returned tree; `key: !override <value>` keeps
//!   `<value>` as a plain value, and tags nested inside it are ignored.
//! * A tagged **sequence item**: `!reset` drops the item from this file's list, `!override` keeps it.
//! * Every tagged node is listed, with its key path as segments (a sequence index is its decimal
//!   text), in [`Locations::tagged`]. [`crate::model::merge::merge_layer`] deletes those paths
//!   from the model merged so far before merging this file, so a single file needs nothing more
//!   and tags are invisible to callers that never merge.
//! * Tags work through aliases and merge keys (`<<`), because serde-saphyr replays them.
//! * A tag on the document root is ignored.

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{Spanned, Tagged};

/// Line and column (both 1-based) of a node in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A compose merge tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeTag {
    /// `!reset`: remove the key from the model merged so far, and from this file.
    Reset,
    /// `!override`: remove the key from the model merged so far, then set this file's value.
    Override,
}

/// A node of one file carrying `!reset` or `!override`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedPath {
    pub tag: MergeTag,
    /// Key path as segments (`["services", "web", "command"]`); a sequence index is its decimal
    /// text (`"1"`), as in compose-go, so it never matches a sequence of the merged model.
    pub path: Vec<String>,
    pub position: Position,
}

/// Key path (`services.web.ports[1]`) → where that node starts in the file, plus the nodes
/// tagged `!reset` / `!override`.
#[derive(Debug, Default, Clone)]
pub struct Locations {
    map: HashMap<String, Position>,
    tagged: Vec<TaggedPath>,
    /// The first mapping key that was not a string: (path of its mapping, key, position).
    non_string_key: Option<(String, String, Position)>,
}

impl Locations {
    /// True when exactly `path` is defined in this file.
    pub fn find_exact(&self, path: &str) -> bool {
        self.map.contains_key(path)
    }

    /// Where `path` is defined, or the nearest enclosing path that is known.
    pub fn find(&self, path: &str) -> Option<Position> {
        let mut p = path;
        loop {
            if let Some(pos) = self.map.get(p) {
                return Some(*pos);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    /// The `!reset` / `!override` tags of this file, in document order. Hand them to
    /// [`crate::model::merge::merge_layer`] with the file's tree.
    pub fn tagged(&self) -> &[TaggedPath] {
        &self.tagged
    }
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone)]
pub struct SyntaxError {
    pub message: String,
    pub position: Option<Position>,
}

/// Parses one YAML document into a JSON tree and the positions of its nodes.
pub fn parse(text: &str) -> Result<(Value, Locations), SyntaxError> {
    let root: Spanned<Node> =
        serde_saphyr::from_str_with_options(text, options()).map_err(|e| {
            let position = e.location().map(|l| Position {
                line: l.line() as u32,
                column: l.column() as u32,
            });
            SyntaxError {
                message: first_line(&e.to_string()),
                position,
            }
        })?;
    let mut locations = Locations::default();
    let mut segments = Vec::new();
    let value = root
        .value
        .into_value(String::new(), &mut segments, false, &mut locations);
    reject_non_string_keys(&locations)?;
    Ok((value, locations))
}

/// compose reads every mapping key as a string: `123: x` is an error naming where it is.
fn reject_non_string_keys(locations: &Locations) -> Result<(), SyntaxError> {
    match &locations.non_string_key {
        None => Ok(()),
        Some((path, key, pos)) => Err(SyntaxError {
            message: if path.is_empty() {
                format!("non-string key at top level: {key}")
            } else {
                format!("non-string key in {path}: {key}")
            },
            position: Some(*pos),
        }),
    }
}

/// Parses a stream of one or more YAML documents (`---` separated); compose merges the
/// documents of one file in order, like several files.
pub fn parse_documents(text: &str) -> Result<Vec<(Value, Locations)>, SyntaxError> {
    match parse(text) {
        Ok(one) => Ok(vec![one]),
        Err(e) if e.message.contains("multiple YAML documents") => {
            let docs: Vec<Spanned<Node>> =
                serde_saphyr::from_str_multiple_with_options(text, options()).map_err(|e| {
                    SyntaxError {
                        message: first_line(&e.to_string()),
                        position: e.location().map(|l| Position {
                            line: l.line() as u32,
                            column: l.column() as u32,
                        }),
                    }
                })?;
            docs.into_iter()
                .map(|root| {
                    let mut locations = Locations::default();
                    let mut segments = Vec::new();
                    let value =
                        root.value
                            .into_value(String::new(), &mut segments, false, &mut locations);
                    reject_non_string_keys(&locations)?;
                    Ok((value, locations))
                })
                .collect::<Result<Vec<_>, SyntaxError>>()
        }
        Err(e) => Err(e),
    }
}

/// Most aliased events one file may expand to. Real files stay far below it (the largest of the
/// real-world corpus replays a few thousand); an exponential alias bomb ("billion laughs")
/// passes it within a few levels and is refused before it costs memory.
pub const MAX_REPLAYED_EVENTS: usize = 1_000_000;

/// The parser's options: go-yaml's scalar typing, and limits that stop alias bombs by what they
/// expand to rather than by how many aliases a file uses. serde-saphyr's default alias/anchor
/// ratio heuristic (more than 10 aliases per anchor once there are 100) refuses ordinary compose
/// files that merge one `x-` block into every service, which compose's YAML library accepts.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        legacy_octal_numbers: true,
        budget: serde_saphyr::budget! {
            enforce_alias_anchor_ratio: false,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_REPLAYED_EVENTS,
        },
    }
}

fn first_line(s: &str) -> String {
    // serde-saphyr appends a rendered snippet (we render our own) and starts with
    // `error: line L column C: ` (the position is kept apart, in `SyntaxError::position`).
    let line = s.lines().next().unwrap_or_default().trim();
    let reason = match line.strip_prefix("error: line ") {
        Some(rest) => rest.split_once(": ").map_or(line, |(_, r)| r),
        None => line,
    };
    // go-yaml's wording, which compose prints.
    if let Some(key) = reason.strip_prefix("duplicate mapping key: ") {
        let key = key
            .split_once(", set DuplicateKeyPolicy")
            .map_or(key, |(k, _)| k);
        format!("mapping key {key:?} already defined")
    } else if reason.contains("budget breached") || reason.contains("alias replay") {
        format!("document contains excessive aliasing ({reason})")
    } else {
        reason.to_string()
    }
}

/// A YAML node whose mapping values and sequence items carry their positions.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Tagged<Node>>>),
    /// Entries with the position of their key.
    Map(Vec<(Spanned<String>, Spanned<Tagged<Node>>)>),
}

/// The compose merge tag of a node, if any.
fn merge_tag(tag: Option<&str>) -> Option<MergeTag> {
    match tag {
        Some("!reset") => Some(MergeTag::Reset),
        Some("!override") => Some(MergeTag::Override),
        _ => None,
    }
}

impl Node {
    /// Converts to JSON, recording locations and merge tags. `segments` is the key path of this
    /// node; `plain` is set inside an `!override` value, where tags are not looked at.
    fn into_value(
        self,
        path: String,
        segments: &mut Vec<String>,
        plain: bool,
        locations: &mut Locations,
    ) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Int(i) => Value::Number(i.into()),
            Node::UInt(u) => Value::Number(u.into()),
            Node::Float(f) => Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(f.to_string())),
            Node::Str(s) => Value::String(s),
            Node::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    segments.push(i.to_string());
                    let keep = child(&item, plain, segments, locations);
                    if let Some(child_plain) = keep {
                        let p = format!("{path}[{}]", out.len());
                        locations.map.insert(p.clone(), position(&item));
                        out.push(item.value.0.into_value(p, segments, child_plain, locations));
                    }
                    segments.pop();
                }
                Value::Array(out)
            }
            Node::Map(entries) => {
                let mut map = Map::new();
                for (key, v) in entries {
                    let mut k = key.value.clone();
                    if let Some(rest) = k.strip_prefix(NON_STRING) {
                        k = rest.to_string();
                        if locations.non_string_key.is_none() {
                            locations.non_string_key =
                                Some((path.clone(), k.clone(), position(&key)));
                        }
                    }
                    segments.push(k.clone());
                    let keep = child(&v, plain, segments, locations);
                    if let Some(child_plain) = keep {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        locations.map.insert(p.clone(), position(&key));
                        map.insert(k, v.value.0.into_value(p, segments, child_plain, locations));
                    }
                    segments.pop();
                }
                Value::Object(map)
            }
        }
    }
}

/// Records the merge tag of a child node. `None` when the child is dropped (`!reset`),
/// otherwise whether its own subtree is plain (inside an `!override`).
fn child(
    node: &Spanned<Tagged<Node>>,
    plain: bool,
    segments: &[String],
    locations: &mut Locations,
) -> Option<bool> {
    if plain {
        return Some(true);
    }
    let Some(tag) = merge_tag(node.value.1.as_deref()) else {
        return Some(false);
    };
    locations.tagged.push(TaggedPath {
        tag,
        path: segments.to_vec(),
        position: position(node),
    });
    match tag {
        MergeTag::Reset => None,
        MergeTag::Override => Some(true),
    }
}

fn position<T>(s: &Spanned<T>) -> Position {
    // Mapping entries are located at their key (the line users look for), sequence items at the
    // item. `referenced` is where the node is used (an alias use site), which is where an error
    // should point.
    Position {
        line: s.referenced.line() as u32,
        column: s.referenced.column() as u32,
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Tagged<Node>>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(Spanned<String>, Spanned<Tagged<Node>>)> = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyString>>()? {
            let key = Spanned::new(key.value.0, key.referenced, key.defined);
            let value = map.next_value::<Spanned<Tagged<Node>>>()?;
            if let Some(existing) = entries.iter_mut().find(|(k, _)| k.value == key.value) {
                // A key repeated by a merge key (`<<`) is overridden by the explicit one.
                existing.1 = value;
            } else {
                entries.push((key, value));
            }
        }
        Ok(Node::Map(entries))
    }
}

/// Marks a key that was not a string in the YAML (compose rejects those).
const NON_STRING: char = '\u{1}';

/// A mapping key of any scalar type, as text (`80: x` has the key "80"); a non-string key is
/// marked with [`NON_STRING`] so the tree builder can report it with its path.
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyString, E> {
                Ok(KeyString(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(format!("{NON_STRING}{v}")))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(format!("{NON_STRING}{v}")))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(format!("{NON_STRING}{v}")))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyString, E> {
                Ok(KeyString(format!("{NON_STRING}{v}")))
            }
            fn visit_unit<E>(self) -> Result<KeyString, E> {
                Ok(KeyString(format!("{NON_STRING}null")))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_positions_and_go_yaml_scalars() {
        let text = "services:\n  web:\n    image: x\n    ports:\n      - 80\n      - \"81\"\n    mode: 0440\n    flag: yes\n";
        let (v, locs) = parse(text).unwrap();
        assert_eq!(v["services"]["web"]["image"], "x");
        assert_eq!(v["services"]["web"]["ports"][0], 80);
        assert_eq!(v["services"]["web"]["mode"], 288);
        assert_eq!(v["services"]["web"]["flag"], "yes");
        assert_eq!(locs.find("services.web.ports[1]").unwrap().line, 6);
        assert_eq!(locs.find("services.web.image").unwrap().line, 3);
        assert_eq!(locs.find("services.web.nothing.below").unwrap().line, 2);
    }

    #[test]
    fn merge_keys_and_anchors() {
        let text =
            "x-base: &b\n  image: a\n  tty: true\nservices:\n  s:\n    <<: *b\n    image: c\n";
        let (v, _) = parse(text).unwrap();
        assert_eq!(v["services"]["s"]["image"], "c");
        assert_eq!(v["services"]["s"]["tty"], true);
    }

    /// One anchor merged into 150 services: 150 aliases for 1 anchor, as real files do.
    #[test]
    fn many_aliases_of_one_anchor_are_accepted() {
        let mut text =
            String::from("x-common: &common\n  restart: always\n  tty: true\nservices:\n");
        for i in 0..150 {
            text.push_str(&format!("  s{i}:\n    <<: *common\n    image: busybox\n"));
        }
        let (v, _) = parse(&text).unwrap();
        assert_eq!(v["services"]["s149"]["restart"], "always");
    }

    /// The billion-laughs document: nine levels of ten aliases expand to 10^9 nodes.
    #[test]
    fn alias_bomb_is_refused() {
        let mut text = String::from("a0: &a0 [lol]\n");
        for i in 1..=9 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        text.push_str("services: *a9\n");
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("excessive aliasing"), "{err:?}");
    }

    #[test]
    fn syntax_error_has_position() {
        let err = parse("services:\n  web:\n    image: [a\n").unwrap_err();
        assert!(err.position.is_some(), "{err:?}");
    }
}
