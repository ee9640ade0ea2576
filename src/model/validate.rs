//! Owns compose-tree validation; mirrors the spec's structure as our own table, not the vendored schema.
//!
//! It checks a merged, interpolated tree: which keys exist where, what type each value has, and
//! compose's few cross-key rules.
//!
//! The shape of a compose file is written down below as a small table language: a [`Node`] is
//! anything-goes, a set of JSON types, a string enum or pattern, a bounded integer, a list, a
//! mapping ([`Obj`]: known keys, key patterns such as `^x-`, open or closed, required keys), a
//! value that is either some plain types or a mapping ([`Node::Or`], e.g. `external`), or a
//! choice between alternatives ([`Node::OneOf`]). [`validate`] walks the tree once against that
//! table in document order and stops at the first problem, then applies the rules compose checks
//! after its schema (`external` volumes, `file`/`environment` of secrets and configs, device
//! requests, watch paths, port host IPs).
//!
//! Messages use compose's wording (`services.web additional properties 'foo' not allowed`,
//! `services.foo.image must be a string`, `... missing property 'action'`), with list indices
//! written `.0` as compose does; [`ValidationError::path`] uses our locator syntax
//! (`services.web.ports[1]`) so the loader can point at a line. Values may still be strings where
//! compose wants numbers or booleans: like the specification we accept them, and later stages
//! convert them. Pure: no I/O, no allocation unless a problem is found (or an alternative of a
//! choice fails).

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Number, Value};

/// One structural problem, with the dotted key path of the offending node, e.g. "services.web.ports[1]".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ValidationError {}

/// Checks the whole file tree (top level: version, name, services, networks, volumes, secrets, configs, include, models, x-*).
/// Returns the first error in document order (deterministic).
pub fn validate(tree: &Value) -> Result<(), ValidationError> {
    validate_structure(tree)?;
    check_rules(tree)
}

/// The structural half of [`validate`] alone: keys, types, enums, patterns, bounds, required
/// keys and unique lists, i.e. exactly what the specification's schema decides, without the
/// cross-key rules compose applies afterwards.
pub fn validate_structure(tree: &Value) -> Result<(), ValidationError> {
    let mut at = Vec::new();
    check(&Node::Map(&ROOT), tree, &mut at).map_err(Fail::into_error)
}

// ---------------------------------------------------------------------------------------------
// The table language.

/// A set of JSON types. `INT` is the integers among the numbers (`2.0` is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Types(u8);

impl Types {
    const NULL: Types = Types(1);
    const BOOL: Types = Types(2);
    const INT: Types = Types(4);
    const NUM: Types = Types(8);
    const STR: Types = Types(16);
    const LIST: Types = Types(32);
    const MAP: Types = Types(64);
    const ANY: Types = Types(127);

    const fn or(self, other: Types) -> Types {
        Types(self.0 | other.0)
    }

    fn meets(self, other: Types) -> bool {
        self.0 & other.0 != 0
    }

    fn of(v: &Value) -> Types {
        match v {
            Value::Null => Types::NULL,
            Value::Bool(_) => Types::BOOL,
            Value::Number(n) if is_integer(n) => Types::INT.or(Types::NUM),
            Value::Number(_) => Types::NUM,
            Value::String(_) => Types::STR,
            Value::Array(_) => Types::LIST,
            Value::Object(_) => Types::MAP,
        }
    }

    /// Compose's wording: `mapping` for objects, several types sorted and joined `a, b or c`.
    fn describe(self) -> String {
        let mut names: Vec<&str> = [
            (Types::NULL, "null"),
            (Types::BOOL, "boolean"),
            (Types::INT, "integer"),
            (Types::NUM, "number"),
            (Types::STR, "string"),
            (Types::LIST, "array"),
            (Types::MAP, "mapping"),
        ]
        .iter()
        .filter(|(t, _)| self.meets(*t))
        .map(|(_, n)| *n)
        .collect();
        names.sort_unstable();
        match names.split_last() {
            None => "value".to_string(),
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }
}

fn is_integer(n: &Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// What a value must look like.
#[derive(Debug, Clone, Copy)]
enum Node {
    /// Anything (extension values).
    Any,
    /// One of these JSON types, nothing more.
    Is(Types),
    /// A string from this list.
    Enum(&'static [&'static str]),
    /// A string containing a match of this pattern.
    Matches(Pattern),
    /// An integer within these bounds (inclusive; no upper bound when `max` is `None`).
    Int { min: i64, max: Option<i64> },
    /// A list of `item`s; `unique` forbids equal items.
    List { item: &'static Node, unique: bool },
    /// A mapping.
    Map(&'static Obj),
    /// Either a value of the plain types, or whatever the inner node accepts.
    Or(Types, &'static Node),
    /// Exactly one of the alternatives.
    OneOf(&'static [Node]),
}

impl Node {
    /// The JSON types a value may have to stand a chance.
    fn accepts(&self) -> Types {
        match *self {
            Node::Any => Types::ANY,
            Node::Is(t) => t,
            Node::Enum(_) | Node::Matches(_) => Types::STR,
            Node::Int { .. } => Types::INT,
            Node::List { .. } => Types::LIST,
            Node::Map(_) => Types::MAP,
            Node::Or(t, inner) => t.or(inner.accepts()),
            Node::OneOf(alts) => alts.iter().fold(Types(0), |t, n| t.or(n.accepts())),
        }
    }
}

/// A mapping: its known keys, keys matched by pattern, whether other keys are refused, and the
/// keys it must have.
#[derive(Debug)]
struct Obj {
    props: &'static [(&'static str, Node)],
    patterns: &'static [(KeyPattern, Node)],
    closed: bool,
    required: &'static [&'static str],
}

impl Obj {
    /// Known keys plus `x-` extensions; nothing else.
    const fn keys(props: &'static [(&'static str, Node)]) -> Obj {
        Obj {
            props,
            patterns: EXTENSIONS,
            closed: true,
            required: &[],
        }
    }

    /// Known keys only, not even extensions.
    const fn strict(props: &'static [(&'static str, Node)]) -> Obj {
        Obj {
            props,
            patterns: &[],
            closed: true,
            required: &[],
        }
    }

    const fn requiring(self, required: &'static [&'static str]) -> Obj {
        Obj { required, ..self }
    }

    fn prop(&self, key: &str) -> Option<&Node> {
        self.props.iter().find(|(k, _)| *k == key).map(|(_, n)| n)
    }
}

const EXTENSIONS: &[(KeyPattern, Node)] = &[(KeyPattern::Extension, Node::Any)];

/// The key patterns the specification uses.
#[derive(Debug, Clone, Copy)]
enum KeyPattern {
    /// `^x-`: extensions.
    Extension,
    /// `^[a-zA-Z0-9._-]+$`: names of services, networks, volumes...
    Name,
    /// `^.+$`: any non-empty single-line key.
    Line,
    /// `.+`: any key with a character other than a newline.
    Visible,
    /// `^[a-z]+$`: ulimit names.
    Lower,
}

impl KeyPattern {
    fn matches(self, k: &str) -> bool {
        match self {
            KeyPattern::Extension => k.starts_with("x-"),
            KeyPattern::Name => {
                !k.is_empty()
                    && k.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            }
            KeyPattern::Line => !k.is_empty() && !k.contains('\n'),
            KeyPattern::Visible => k.chars().any(|c| c != '\n'),
            KeyPattern::Lower => !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase()),
        }
    }
}

/// The string patterns the specification uses (searched, not anchored).
#[derive(Debug, Clone, Copy)]
enum Pattern {
    ContainerName,
    PullPolicy,
}

impl Pattern {
    fn source(self) -> &'static str {
        match self {
            Pattern::ContainerName => "[a-zA-Z0-9][a-zA-Z0-9_.-]+",
            Pattern::PullPolicy => {
                "always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+"
            }
        }
    }

    fn matches(self, s: &str) -> bool {
        match self {
            Pattern::ContainerName => s.as_bytes().windows(2).any(|w| {
                w[0].is_ascii_alphanumeric()
                    && (w[1].is_ascii_alphanumeric() || matches!(w[1], b'_' | b'.' | b'-'))
            }),
            Pattern::PullPolicy => {
                const WORDS: [&str; 8] = [
                    "always",
                    "never",
                    "build",
                    "if_not_present",
                    "missing",
                    "refresh",
                    "daily",
                    "weekly",
                ];
                WORDS.iter().any(|w| s.contains(w))
                    || s.match_indices("every_").any(|(i, m)| {
                        let rest = &s.as_bytes()[i + m.len()..];
                        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                        digits > 0 && rest.get(digits).is_some_and(|b| b"wdhms".contains(b))
                    })
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The Compose Specification, as a table.

const fn list(item: &'static Node) -> Node {
    Node::List {
        item,
        unique: false,
    }
}

/// A list whose items must all differ.
const fn unique_list(item: &'static Node) -> Node {
    Node::List { item, unique: true }
}

const STRING: Node = Node::Is(Types::STR);
const BOOLEAN: Node = Node::Is(Types::BOOL);
const NUMBER: Node = Node::Is(Types::NUM);
const INTEGER: Node = Node::Is(Types::INT);
const NULL: Node = Node::Is(Types::NULL);
const BOOL_OR_STRING: Node = Node::Is(Types::BOOL.or(Types::STR));
const NUMBER_OR_STRING: Node = Node::Is(Types::NUM.or(Types::STR));
const INT_OR_STRING: Node = Node::Is(Types::INT.or(Types::STR));
const STRINGS: Node = list(&STRING);
const UNIQUE_STRINGS: Node = unique_list(&STRING);
const STRING_OR_LIST: Node = Node::OneOf(&[STRING, UNIQUE_STRINGS]);
const STRING_OR_STRINGS: Node = Node::OneOf(&[STRING, STRINGS]);
const COMMAND: Node = Node::OneOf(&[NULL, STRING, STRINGS]);
const NON_NEGATIVE: Node = Node::Int { min: 0, max: None };

/// `KEY: scalar` mapping or `KEY=VALUE` list (environment, labels, args...).
const LIST_OR_DICT: Node = Node::OneOf(&[Node::Map(&SCALAR_DICT), UNIQUE_STRINGS]);
static SCALAR_DICT: Obj = Obj {
    props: &[],
    patterns: &[(
        KeyPattern::Visible,
        Node::Is(Types::STR.or(Types::NUM).or(Types::BOOL).or(Types::NULL)),
    )],
    closed: true,
    required: &[],
};

const EXTRA_HOSTS: Node = Node::OneOf(&[Node::Map(&HOSTS_DICT), UNIQUE_STRINGS]);
static HOSTS_DICT: Obj = Obj {
    props: &[],
    patterns: &[(KeyPattern::Visible, STRING_OR_STRINGS)],
    closed: true,
    required: &[],
};

/// `driver_opts`: string or number values.
const DRIVER_OPTS: Node = Node::Map(&DRIVER_OPTS_DICT);
static DRIVER_OPTS_DICT: Obj = Obj {
    props: &[],
    patterns: &[(KeyPattern::Line, Node::Is(Types::STR.or(Types::NUM)))],
    closed: false,
    required: &[],
};

/// String-valued dictionary refusing empty keys (ipam `aux_addresses`, `options`).
static STRING_DICT: Obj = Obj {
    props: &[],
    patterns: &[(KeyPattern::Line, STRING)],
    closed: true,
    required: &[],
};

const ULIMITS: Node = Node::Map(&ULIMITS_DICT);
static ULIMITS_DICT: Obj = Obj {
    props: &[],
    patterns: &[(
        KeyPattern::Lower,
        Node::OneOf(&[INT_OR_STRING, Node::Map(&ULIMIT_PAIR)]),
    )],
    closed: false,
    required: &[],
};
static ULIMIT_PAIR: Obj =
    Obj::keys(&[("hard", INT_OR_STRING), ("soft", INT_OR_STRING)]).requiring(&["soft", "hard"]);

/// A service's `secrets`, `configs` and `build.secrets`: names or long references.
const FILE_REFERENCES: Node = Node::List {
    item: &Node::OneOf(&[STRING, Node::Map(&FILE_REFERENCE)]),
    unique: false,
};
static FILE_REFERENCE: Obj = Obj::keys(&[
    ("source", STRING),
    ("target", STRING),
    ("uid", STRING),
    ("gid", STRING),
    ("mode", NUMBER_OR_STRING),
]);

const SERVICE_HOOK: Node = Node::Map(&SERVICE_HOOK_OBJ);
static SERVICE_HOOK_OBJ: Obj = Obj::keys(&[
    ("command", COMMAND),
    ("user", STRING),
    ("privileged", BOOL_OR_STRING),
    ("working_dir", STRING),
    ("environment", LIST_OR_DICT),
])
.requiring(&["command"]);

static PRE_START_HOOK: Obj = Obj::keys(&[
    ("command", COMMAND),
    ("image", STRING),
    ("user", STRING),
    ("privileged", BOOL_OR_STRING),
    ("working_dir", STRING),
    ("environment", LIST_OR_DICT),
    ("per_replica", BOOL_OR_STRING),
]);

/// Keys of a device request (`deploy.resources.reservations.devices[]`, `gpus[]`).
const DEVICE_REQUEST_KEYS: &[(&str, Node)] = &[
    ("capabilities", UNIQUE_STRINGS),
    ("count", Node::Is(Types::STR.or(Types::INT))),
    ("device_ids", UNIQUE_STRINGS),
    ("driver", STRING),
    ("options", LIST_OR_DICT),
];
static DEVICE_REQUEST: Obj = Obj::keys(DEVICE_REQUEST_KEYS).requiring(&["capabilities"]);
/// `gpus` list items accept any extra key.
static GPU_REQUEST: Obj = Obj {
    props: DEVICE_REQUEST_KEYS,
    patterns: &[],
    closed: false,
    required: &[],
};

/// `external` of networks and volumes: a flag, or the deprecated `{name}`.
const EXTERNAL: Node = Node::Or(Types::BOOL.or(Types::STR), &Node::Map(&EXTERNAL_OBJ));
static EXTERNAL_OBJ: Obj = Obj::keys(&[("name", STRING)]);
/// `external` of secrets and configs, whose mapping form accepts other keys.
const EXTERNAL_OPEN: Node = Node::Or(Types::BOOL.or(Types::STR), &Node::Map(&EXTERNAL_OPEN_OBJ));
static EXTERNAL_OPEN_OBJ: Obj = Obj {
    props: &[("name", STRING)],
    patterns: &[],
    closed: false,
    required: &[],
};

static ROOT: Obj = Obj::keys(&[
    ("version", STRING),
    ("name", STRING),
    (
        "include",
        list(&Node::OneOf(&[STRING, Node::Map(&INCLUDE)])),
    ),
    ("services", Node::Map(&SERVICES)),
    ("models", Node::Map(&MODELS)),
    ("networks", Node::Map(&NETWORKS)),
    ("volumes", Node::Map(&VOLUMES)),
    ("secrets", Node::Map(&SECRETS)),
    ("configs", Node::Map(&CONFIGS)),
]);

static INCLUDE: Obj = Obj::strict(&[
    ("path", STRING_OR_LIST),
    ("env_file", STRING_OR_LIST),
    ("project_directory", STRING),
]);

static SERVICES: Obj = named(&[(KeyPattern::Name, Node::Map(&SERVICE))], true);
static MODELS: Obj = named(&[(KeyPattern::Name, Node::Map(&MODEL))], false);
static NETWORKS: Obj = named(
    &[(
        KeyPattern::Name,
        Node::Or(Types::NULL, &Node::Map(&NETWORK)),
    )],
    false,
);
static VOLUMES: Obj = named(
    &[(KeyPattern::Name, Node::Or(Types::NULL, &Node::Map(&VOLUME)))],
    true,
);
static SECRETS: Obj = named(&[(KeyPattern::Name, Node::Map(&SECRET))], true);
static CONFIGS: Obj = named(&[(KeyPattern::Name, Node::Map(&CONFIG))], true);

/// A mapping keyed by resource names.
const fn named(patterns: &'static [(KeyPattern, Node)], closed: bool) -> Obj {
    Obj {
        props: &[],
        patterns,
        closed,
        required: &[],
    }
}

static MODEL: Obj = Obj::keys(&[
    ("name", STRING),
    ("model", STRING),
    ("context_size", INTEGER),
    ("runtime_flags", STRINGS),
])
.requiring(&["model"]);

static NETWORK: Obj = Obj::keys(&[
    ("name", STRING),
    ("driver", STRING),
    ("driver_opts", DRIVER_OPTS),
    ("ipam", Node::Map(&IPAM)),
    ("external", EXTERNAL),
    ("internal", BOOL_OR_STRING),
    ("enable_ipv4", BOOL_OR_STRING),
    ("enable_ipv6", BOOL_OR_STRING),
    ("attachable", BOOL_OR_STRING),
    ("labels", LIST_OR_DICT),
]);

static IPAM: Obj = Obj::keys(&[
    ("driver", STRING),
    ("config", list(&Node::Map(&IPAM_POOL))),
    ("options", Node::Map(&STRING_DICT)),
]);

static IPAM_POOL: Obj = Obj::keys(&[
    ("subnet", STRING),
    ("ip_range", STRING),
    ("gateway", STRING),
    ("aux_addresses", Node::Map(&STRING_DICT)),
]);

static VOLUME: Obj = Obj::keys(&[
    ("name", STRING),
    ("driver", STRING),
    ("driver_opts", DRIVER_OPTS),
    ("external", EXTERNAL),
    ("labels", LIST_OR_DICT),
]);

static SECRET: Obj = Obj::keys(&[
    ("name", STRING),
    ("environment", STRING),
    ("file", STRING),
    ("external", EXTERNAL_OPEN),
    ("labels", LIST_OR_DICT),
    ("driver", STRING),
    ("driver_opts", DRIVER_OPTS),
    ("template_driver", STRING),
]);

static CONFIG: Obj = Obj::keys(&[
    ("name", STRING),
    ("content", STRING),
    ("environment", STRING),
    ("file", STRING),
    ("external", EXTERNAL_OPEN),
    ("labels", LIST_OR_DICT),
    ("template_driver", STRING),
]);

static SERVICE: Obj = Obj::keys(&[
    ("develop", Node::Or(Types::NULL, &Node::Map(&DEVELOP))),
    ("deploy", Node::Or(Types::NULL, &Node::Map(&DEPLOY))),
    ("annotations", LIST_OR_DICT),
    ("attach", BOOL_OR_STRING),
    ("build", Node::OneOf(&[STRING, Node::Map(&BUILD)])),
    ("blkio_config", Node::Map(&BLKIO)),
    ("cap_add", UNIQUE_STRINGS),
    ("cap_drop", UNIQUE_STRINGS),
    ("cgroup", Node::Enum(&["host", "private"])),
    ("cgroup_parent", STRING),
    ("command", COMMAND),
    ("configs", FILE_REFERENCES),
    ("container_name", Node::Matches(Pattern::ContainerName)),
    ("cpu_count", Node::OneOf(&[STRING, NON_NEGATIVE])),
    (
        "cpu_percent",
        Node::OneOf(&[
            STRING,
            Node::Int {
                min: 0,
                max: Some(100),
            },
        ]),
    ),
    ("cpu_shares", NUMBER_OR_STRING),
    ("cpu_quota", NUMBER_OR_STRING),
    ("cpu_period", NUMBER_OR_STRING),
    ("cpu_rt_period", NUMBER_OR_STRING),
    ("cpu_rt_runtime", NUMBER_OR_STRING),
    ("cpus", NUMBER_OR_STRING),
    ("cpuset", STRING),
    ("credential_spec", Node::Map(&CREDENTIAL_SPEC)),
    (
        "depends_on",
        Node::OneOf(&[UNIQUE_STRINGS, Node::Map(&DEPENDENCIES)]),
    ),
    ("device_cgroup_rules", UNIQUE_STRINGS),
    ("devices", list(&Node::OneOf(&[STRING, Node::Map(&DEVICE)]))),
    ("dns", STRING_OR_LIST),
    ("dns_opt", UNIQUE_STRINGS),
    ("dns_search", STRING_OR_LIST),
    ("domainname", STRING),
    ("entrypoint", COMMAND),
    (
        "env_file",
        Node::OneOf(&[STRING, list(&Node::OneOf(&[STRING, Node::Map(&ENV_FILE)]))]),
    ),
    ("label_file", STRING_OR_STRINGS),
    ("environment", LIST_OR_DICT),
    ("expose", unique_list(&Node::Is(Types::STR.or(Types::NUM)))),
    ("extends", Node::OneOf(&[STRING, Node::Map(&EXTENDS)])),
    ("provider", Node::Map(&PROVIDER)),
    ("external_links", UNIQUE_STRINGS),
    ("extra_hosts", EXTRA_HOSTS),
    (
        "gpus",
        Node::OneOf(&[Node::Enum(&["all"]), list(&Node::Map(&GPU_REQUEST))]),
    ),
    (
        "group_add",
        unique_list(&Node::Is(Types::STR.or(Types::NUM))),
    ),
    ("healthcheck", Node::Map(&HEALTHCHECK)),
    ("hostname", STRING),
    ("image", STRING),
    ("init", BOOL_OR_STRING),
    ("ipc", STRING),
    ("isolation", STRING),
    ("labels", LIST_OR_DICT),
    ("links", UNIQUE_STRINGS),
    ("logging", Node::Map(&LOGGING)),
    ("mac_address", STRING),
    ("mem_limit", NUMBER_OR_STRING),
    ("mem_reservation", INT_OR_STRING),
    ("mem_swappiness", INT_OR_STRING),
    ("memswap_limit", NUMBER_OR_STRING),
    ("network_mode", STRING),
    (
        "models",
        Node::OneOf(&[UNIQUE_STRINGS, Node::Map(&SERVICE_MODELS)]),
    ),
    (
        "networks",
        Node::OneOf(&[UNIQUE_STRINGS, Node::Map(&SERVICE_NETWORKS)]),
    ),
    ("oom_kill_disable", BOOL_OR_STRING),
    (
        "oom_score_adj",
        Node::OneOf(&[
            STRING,
            Node::Int {
                min: -1000,
                max: Some(1000),
            },
        ]),
    ),
    ("pid", Node::Is(Types::STR.or(Types::NULL))),
    ("pids_limit", NUMBER_OR_STRING),
    ("platform", STRING),
    (
        "ports",
        unique_list(&Node::OneOf(&[NUMBER, STRING, Node::Map(&PORT)])),
    ),
    ("pre_start", list(&Node::Map(&PRE_START_HOOK))),
    ("post_start", list(&SERVICE_HOOK)),
    ("pre_stop", list(&SERVICE_HOOK)),
    ("privileged", BOOL_OR_STRING),
    ("profiles", UNIQUE_STRINGS),
    ("pull_policy", Node::Matches(Pattern::PullPolicy)),
    ("pull_refresh_after", STRING),
    ("read_only", BOOL_OR_STRING),
    ("restart", STRING),
    ("runtime", STRING),
    ("scale", INT_OR_STRING),
    ("security_opt", UNIQUE_STRINGS),
    ("shm_size", NUMBER_OR_STRING),
    ("secrets", FILE_REFERENCES),
    ("sysctls", LIST_OR_DICT),
    ("stdin_open", BOOL_OR_STRING),
    ("stop_grace_period", STRING),
    ("stop_signal", STRING),
    ("storage_opt", Node::Is(Types::MAP)),
    ("tmpfs", STRING_OR_LIST),
    ("tty", BOOL_OR_STRING),
    ("ulimits", ULIMITS),
    ("use_api_socket", BOOLEAN),
    ("user", STRING),
    ("uts", STRING),
    ("userns_mode", STRING),
    (
        "volumes",
        unique_list(&Node::OneOf(&[STRING, Node::Map(&MOUNT)])),
    ),
    ("volumes_from", UNIQUE_STRINGS),
    ("working_dir", STRING),
]);

static BUILD: Obj = Obj::keys(&[
    ("context", STRING),
    ("dockerfile", STRING),
    ("dockerfile_inline", STRING),
    ("entitlements", STRINGS),
    ("args", LIST_OR_DICT),
    ("ssh", LIST_OR_DICT),
    ("labels", LIST_OR_DICT),
    ("cache_from", STRINGS),
    ("cache_to", STRINGS),
    ("no_cache", BOOL_OR_STRING),
    ("no_cache_filter", STRING_OR_LIST),
    ("additional_contexts", LIST_OR_DICT),
    ("network", STRING),
    ("provenance", BOOL_OR_STRING),
    ("sbom", BOOL_OR_STRING),
    ("pull", BOOL_OR_STRING),
    ("target", STRING),
    ("shm_size", INT_OR_STRING),
    ("extra_hosts", EXTRA_HOSTS),
    ("isolation", STRING),
    ("privileged", BOOL_OR_STRING),
    ("secrets", FILE_REFERENCES),
    ("tags", STRINGS),
    ("ulimits", ULIMITS),
    ("platforms", STRINGS),
]);

const BLKIO_LIMITS: Node = Node::List {
    item: &Node::Map(&BLKIO_LIMIT),
    unique: false,
};
static BLKIO: Obj = Obj::strict(&[
    ("device_read_bps", BLKIO_LIMITS),
    ("device_read_iops", BLKIO_LIMITS),
    ("device_write_bps", BLKIO_LIMITS),
    ("device_write_iops", BLKIO_LIMITS),
    ("weight", INT_OR_STRING),
    ("weight_device", list(&Node::Map(&BLKIO_WEIGHT))),
]);
static BLKIO_LIMIT: Obj = Obj::strict(&[("path", STRING), ("rate", INT_OR_STRING)]);
static BLKIO_WEIGHT: Obj = Obj::strict(&[("path", STRING), ("weight", INT_OR_STRING)]);

static CREDENTIAL_SPEC: Obj =
    Obj::keys(&[("config", STRING), ("file", STRING), ("registry", STRING)]);

static DEPENDENCIES: Obj = named(&[(KeyPattern::Name, Node::Map(&DEPENDENCY))], true);
static DEPENDENCY: Obj = Obj::keys(&[
    ("restart", BOOL_OR_STRING),
    ("required", BOOLEAN),
    (
        "condition",
        Node::Enum(&[
            "service_started",
            "service_healthy",
            "service_completed_successfully",
        ]),
    ),
])
.requiring(&["condition"]);

static DEVICE: Obj = Obj::keys(&[
    ("source", STRING),
    ("target", STRING),
    ("permissions", STRING),
])
.requiring(&["source"]);

static ENV_FILE: Obj = Obj::strict(&[
    ("path", STRING),
    ("format", STRING),
    ("required", BOOL_OR_STRING),
])
.requiring(&["path"]);

static EXTENDS: Obj = Obj::strict(&[("service", STRING), ("file", STRING)]).requiring(&["service"]);

static PROVIDER: Obj =
    Obj::keys(&[("type", STRING), ("options", Node::Map(&PROVIDER_OPTIONS))]).requiring(&["type"]);
const PROVIDER_SCALAR: Node = Node::Is(Types::STR.or(Types::NUM).or(Types::BOOL));
static PROVIDER_OPTIONS: Obj = Obj {
    props: &[],
    patterns: &[(
        KeyPattern::Line,
        Node::OneOf(&[PROVIDER_SCALAR, list(&PROVIDER_SCALAR)]),
    )],
    closed: false,
    required: &[],
};

static HEALTHCHECK: Obj = Obj::keys(&[
    ("disable", BOOL_OR_STRING),
    ("interval", STRING),
    ("retries", NUMBER_OR_STRING),
    ("test", STRING_OR_STRINGS),
    ("timeout", STRING),
    ("start_period", STRING),
    ("start_interval", STRING),
]);

static LOGGING: Obj = Obj::keys(&[("driver", STRING), ("options", Node::Map(&LOGGING_OPTIONS))]);
static LOGGING_OPTIONS: Obj = Obj {
    props: &[],
    patterns: &[(
        KeyPattern::Line,
        Node::Is(Types::STR.or(Types::NUM).or(Types::NULL)),
    )],
    closed: false,
    required: &[],
};

static SERVICE_MODELS: Obj = named(
    &[(
        KeyPattern::Name,
        Node::OneOf(&[Node::Map(&SERVICE_MODEL), NULL]),
    )],
    false,
);
static SERVICE_MODEL: Obj = Obj::keys(&[("endpoint_var", STRING), ("model_var", STRING)]);

static SERVICE_NETWORKS: Obj = named(
    &[(
        KeyPattern::Name,
        Node::OneOf(&[Node::Map(&SERVICE_NETWORK), NULL]),
    )],
    true,
);
static SERVICE_NETWORK: Obj = Obj::keys(&[
    ("aliases", UNIQUE_STRINGS),
    ("interface_name", STRING),
    ("ipv4_address", STRING),
    ("ipv6_address", STRING),
    ("link_local_ips", UNIQUE_STRINGS),
    ("mac_address", STRING),
    ("driver_opts", DRIVER_OPTS),
    ("priority", NUMBER),
    ("gw_priority", NUMBER),
]);

static PORT: Obj = Obj::keys(&[
    ("name", STRING),
    ("mode", STRING),
    ("host_ip", STRING),
    ("target", INT_OR_STRING),
    ("published", INT_OR_STRING),
    ("protocol", STRING),
    ("app_protocol", STRING),
]);

static MOUNT: Obj = Obj::keys(&[
    (
        "type",
        Node::Enum(&["bind", "volume", "tmpfs", "cluster", "npipe", "image"]),
    ),
    ("source", STRING),
    ("target", STRING),
    ("read_only", BOOL_OR_STRING),
    ("consistency", STRING),
    ("bind", Node::Map(&MOUNT_BIND)),
    ("volume", Node::Map(&MOUNT_VOLUME)),
    ("tmpfs", Node::Map(&MOUNT_TMPFS)),
    ("image", Node::Map(&MOUNT_IMAGE)),
])
.requiring(&["type"]);
static MOUNT_BIND: Obj = Obj::keys(&[
    ("propagation", STRING),
    ("create_host_path", BOOL_OR_STRING),
    (
        "recursive",
        Node::Enum(&["enabled", "disabled", "writable", "readonly"]),
    ),
    ("selinux", Node::Enum(&["z", "Z"])),
]);
static MOUNT_VOLUME: Obj = Obj::keys(&[
    ("labels", LIST_OR_DICT),
    ("nocopy", BOOL_OR_STRING),
    ("subpath", STRING),
]);
static MOUNT_TMPFS: Obj = Obj::keys(&[
    ("size", Node::OneOf(&[NON_NEGATIVE, STRING])),
    ("mode", NUMBER_OR_STRING),
]);
static MOUNT_IMAGE: Obj = Obj::keys(&[("subpath", STRING)]);

static DEVELOP: Obj = Obj::keys(&[("watch", list(&Node::Map(&WATCH)))]);
static WATCH: Obj = Obj::keys(&[
    ("ignore", STRING_OR_LIST),
    ("include", STRING_OR_LIST),
    ("path", STRING),
    (
        "action",
        Node::Enum(&["rebuild", "sync", "restart", "sync+restart", "sync+exec"]),
    ),
    ("target", STRING),
    ("exec", SERVICE_HOOK),
    ("initial_sync", BOOLEAN),
])
.requiring(&["path", "action"]);

static DEPLOY: Obj = Obj::keys(&[
    ("mode", STRING),
    ("endpoint_mode", STRING),
    ("replicas", INT_OR_STRING),
    ("labels", LIST_OR_DICT),
    ("rollback_config", Node::Map(&UPDATE_CONFIG)),
    ("update_config", Node::Map(&UPDATE_CONFIG)),
    ("resources", Node::Map(&RESOURCES)),
    ("restart_policy", Node::Map(&RESTART_POLICY)),
    ("placement", Node::Map(&PLACEMENT)),
]);
static UPDATE_CONFIG: Obj = Obj::keys(&[
    ("parallelism", INT_OR_STRING),
    ("delay", STRING),
    ("failure_action", STRING),
    ("monitor", STRING),
    ("max_failure_ratio", NUMBER_OR_STRING),
    ("order", Node::Enum(&["start-first", "stop-first"])),
]);
static RESOURCES: Obj = Obj::keys(&[
    ("limits", Node::Map(&LIMITS)),
    ("reservations", Node::Map(&RESERVATIONS)),
]);
static LIMITS: Obj = Obj::keys(&[
    ("cpus", NUMBER_OR_STRING),
    ("memory", STRING),
    ("pids", INT_OR_STRING),
]);
static RESERVATIONS: Obj = Obj::keys(&[
    ("cpus", NUMBER_OR_STRING),
    ("memory", STRING),
    ("generic_resources", list(&Node::Map(&GENERIC_RESOURCE))),
    ("devices", list(&Node::Map(&DEVICE_REQUEST))),
]);
static GENERIC_RESOURCE: Obj =
    Obj::keys(&[("discrete_resource_spec", Node::Map(&DISCRETE_RESOURCE_SPEC))]);
static DISCRETE_RESOURCE_SPEC: Obj = Obj::keys(&[("kind", STRING), ("value", NUMBER_OR_STRING)]);
static RESTART_POLICY: Obj = Obj::keys(&[
    ("condition", STRING),
    ("delay", STRING),
    ("max_attempts", INT_OR_STRING),
    ("window", STRING),
]);
static PLACEMENT: Obj = Obj::keys(&[
    ("constraints", STRINGS),
    ("preferences", list(&Node::Map(&PLACEMENT_PREFERENCE))),
    ("max_replicas_per_node", INT_OR_STRING),
]);
static PLACEMENT_PREFERENCE: Obj = Obj::keys(&[("spread", STRING)]);

// ---------------------------------------------------------------------------------------------
// The walk.

/// One step of a path: a mapping key or a list index.
#[derive(Debug, Clone, Copy)]
enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A problem found by the walk, before its message is written.
#[derive(Debug)]
struct Fail<'a> {
    at: Vec<Seg<'a>>,
    kind: Kind<'a>,
}

#[derive(Debug)]
enum Kind<'a> {
    Type(Types),
    /// Unknown keys of a closed mapping, in document order, with the nearest known key of each.
    Unknown(Vec<(&'a str, Option<&'static str>)>),
    Missing(Vec<&'static str>),
    Enum(&'static [&'static str]),
    Pattern(&'a str, Pattern),
    Minimum(i64),
    Maximum(i64),
    Duplicates(usize, usize),
    Ambiguous(usize, usize),
}

impl<'a> Fail<'a> {
    fn new(at: &[Seg<'a>], kind: Kind<'a>) -> Self {
        Fail {
            at: at.to_vec(),
            kind,
        }
    }

    /// How deep the problem is; compose reports the deepest alternative of a choice (an unknown
    /// key counts one deeper than its mapping).
    fn depth(&self) -> usize {
        self.at.len() + usize::from(matches!(self.kind, Kind::Unknown(_)))
    }

    /// Which of two failed alternatives to report: the deeper, then the one with the right type.
    fn rank(&self) -> (usize, bool) {
        (self.depth(), !matches!(self.kind, Kind::Type(_)))
    }

    fn into_error(self) -> ValidationError {
        let mut path = String::new();
        let mut dotted = String::new();
        for seg in &self.at {
            match seg {
                Seg::Key(k) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    if !dotted.is_empty() {
                        dotted.push('.');
                    }
                    dotted.push_str(k);
                }
                Seg::Index(i) => {
                    path.push_str(&format!("[{i}]"));
                    if !dotted.is_empty() {
                        dotted.push('.');
                    }
                    dotted.push_str(&i.to_string());
                }
            }
        }
        let lead = if dotted.is_empty() {
            String::new()
        } else {
            format!("{dotted} ")
        };
        let message = match self.kind {
            Kind::Type(_) if dotted.is_empty() => "top-level object must be a mapping".to_string(),
            Kind::Type(t) => format!("{lead}must be a {}", t.describe()),
            Kind::Unknown(keys) => {
                if let Some((first, _)) = keys.first() {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(first);
                }
                let names = keys
                    .iter()
                    .map(|(k, _)| quote(k))
                    .collect::<Vec<_>>()
                    .join(", ");
                let hints: Vec<String> = keys
                    .iter()
                    .filter_map(|(k, h)| h.map(|h| (k, h)))
                    .map(|(k, h)| {
                        if keys.len() == 1 {
                            quote(h)
                        } else {
                            format!("{} for {}", quote(h), quote(k))
                        }
                    })
                    .collect();
                let hint = if hints.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", hints.join(", "))
                };
                format!("{lead}additional properties {names} not allowed{hint}")
            }
            Kind::Missing(keys) if keys.len() == 1 => {
                format!("{lead}missing property {}", quote(keys[0]))
            }
            Kind::Missing(keys) => {
                let names: Vec<String> = keys.iter().map(|k| quote(k)).collect();
                format!("{lead}missing properties {}", names.join(", "))
            }
            Kind::Enum([only]) => format!("{lead}value must be {}", quote(only)),
            Kind::Enum(choices) => {
                let names: Vec<String> = choices.iter().map(|k| quote(k)).collect();
                format!("{lead}value must be one of {}", names.join(", "))
            }
            Kind::Pattern(got, p) => format!(
                "{lead}{} does not match pattern {}",
                quote(got),
                quote(p.source())
            ),
            Kind::Minimum(n) => format!("{lead}must be greater than or equal to {n}"),
            Kind::Maximum(n) => format!("{lead}must be less than or equal to {n}"),
            Kind::Duplicates(i, j) => format!("{lead}items at {i} and {j} are equal"),
            Kind::Ambiguous(i, j) => {
                format!("{lead}'oneOf' failed, subschemas {i}, {j} matched")
            }
        };
        ValidationError { path, message }
    }
}

/// Quotes like compose's validator: single quotes, Go-style escapes.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

type Outcome<'a> = Result<(), Fail<'a>>;

fn check<'a>(node: &Node, v: &'a Value, at: &mut Vec<Seg<'a>>) -> Outcome<'a> {
    match *node {
        Node::Any => Ok(()),
        Node::Is(t) => expect(t, v, at),
        Node::Enum(choices) => match v {
            Value::String(s) if choices.contains(&s.as_str()) => Ok(()),
            Value::String(_) => Err(Fail::new(at, Kind::Enum(choices))),
            _ => Err(Fail::new(at, Kind::Type(Types::STR))),
        },
        Node::Matches(p) => match v {
            Value::String(s) if p.matches(s) => Ok(()),
            Value::String(s) => Err(Fail::new(at, Kind::Pattern(s, p))),
            _ => Err(Fail::new(at, Kind::Type(Types::STR))),
        },
        Node::Int { min, max } => match v {
            Value::Number(n) if is_integer(n) => {
                if compare(n, min) == Ordering::Less {
                    Err(Fail::new(at, Kind::Minimum(min)))
                } else if let Some(max) = max
                    && compare(n, max) == Ordering::Greater
                {
                    Err(Fail::new(at, Kind::Maximum(max)))
                } else {
                    Ok(())
                }
            }
            _ => Err(Fail::new(at, Kind::Type(Types::INT))),
        },
        Node::List { item, unique } => {
            let Value::Array(items) = v else {
                return Err(Fail::new(at, Kind::Type(Types::LIST)));
            };
            for (i, x) in items.iter().enumerate() {
                at.push(Seg::Index(i));
                check(item, x, at)?;
                at.pop();
            }
            // After the items, so that only values of a shape the table bounds are compared.
            if unique && let Some((i, j)) = duplicates(items) {
                return Err(Fail::new(at, Kind::Duplicates(i, j)));
            }
            Ok(())
        }
        Node::Map(obj) => match v {
            Value::Object(m) => check_obj(obj, m, at),
            _ => Err(Fail::new(at, Kind::Type(Types::MAP))),
        },
        Node::Or(plain, inner) => {
            let t = Types::of(v);
            if plain.meets(t) && !inner.accepts().meets(t) {
                Ok(())
            } else if !plain.or(inner.accepts()).meets(t) {
                Err(Fail::new(at, Kind::Type(plain.or(inner.accepts()))))
            } else {
                check(inner, v, at)
            }
        }
        Node::OneOf(alternatives) => one_of(alternatives, v, at),
    }
}

fn expect<'a>(t: Types, v: &'a Value, at: &[Seg<'a>]) -> Outcome<'a> {
    if t.meets(Types::of(v)) {
        Ok(())
    } else {
        Err(Fail::new(at, Kind::Type(t)))
    }
}

/// Exactly one alternative must accept `v`. When none does, the deepest problem wins, as in
/// compose; at equal depth a constraint (bound, enum, missing key) beats a wrong type, so that
/// `oom_score_adj: 1001` says "less than or equal to 1000" rather than compose's "must be a
/// string"; remaining ties go to the earlier alternative.
fn one_of<'a>(alternatives: &[Node], v: &'a Value, at: &mut Vec<Seg<'a>>) -> Outcome<'a> {
    let t = Types::of(v);
    let depth = at.len();
    let mut matched = None;
    for (i, alt) in alternatives.iter().enumerate() {
        if !alt.accepts().meets(t) {
            continue;
        }
        let ok = check(alt, v, at).is_ok();
        at.truncate(depth);
        if ok {
            if let Some(first) = matched {
                return Err(Fail::new(at, Kind::Ambiguous(first, i)));
            }
            matched = Some(i);
        }
    }
    if matched.is_some() {
        return Ok(());
    }
    let mut best: Option<Fail<'a>> = None;
    for alt in alternatives {
        if let Err(fail) = check(alt, v, at)
            && best.as_ref().is_none_or(|b| fail.rank() > b.rank())
        {
            best = Some(fail);
        }
        at.truncate(depth);
    }
    Err(best.unwrap_or_else(|| Fail::new(at, Kind::Type(Types(0)))))
}

fn check_obj<'a>(obj: &Obj, m: &'a Map<String, Value>, at: &mut Vec<Seg<'a>>) -> Outcome<'a> {
    for (k, v) in m {
        let mut known = false;
        if let Some(node) = obj.prop(k) {
            known = true;
            at.push(Seg::Key(k));
            check(node, v, at)?;
            at.pop();
        }
        for (pattern, node) in obj.patterns {
            if pattern.matches(k) {
                known = true;
                if !matches!(node, Node::Any) {
                    at.push(Seg::Key(k));
                    check(node, v, at)?;
                    at.pop();
                }
            }
        }
        if !known && obj.closed {
            let unknown = m
                .keys()
                .filter(|k| {
                    obj.prop(k).is_none() && !obj.patterns.iter().any(|(p, _)| p.matches(k))
                })
                .map(|k| (k.as_str(), nearest(k, obj.props.iter().map(|(p, _)| *p))))
                .collect();
            return Err(Fail::new(at, Kind::Unknown(unknown)));
        }
    }
    let missing: Vec<&'static str> = obj
        .required
        .iter()
        .filter(|r| !m.contains_key(**r))
        .copied()
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Fail::new(at, Kind::Missing(missing)))
    }
}

/// Compares a JSON number with an integer bound, exactly.
fn compare(n: &Number, bound: i64) -> Ordering {
    if let Some(i) = n.as_i64() {
        i.cmp(&bound)
    } else if n.is_u64() {
        Ordering::Greater
    } else {
        n.as_f64()
            .and_then(|f| f.partial_cmp(&(bound as f64)))
            .unwrap_or(Ordering::Equal)
    }
}

/// The first pair of equal items (JSON equality: `1` equals `1.0`, mappings ignore key order).
fn duplicates(items: &[Value]) -> Option<(usize, usize)> {
    (1..items.len()).find_map(|j| {
        (0..j)
            .find(|&i| json_eq(&items[i], &items[j]))
            .map(|i| (i, j))
    })
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, xv)| y.get(k).is_some_and(|yv| json_eq(xv, yv)))
        }
        _ => a == b,
    }
}

/// The known key closest to `key`, when close enough to be a typo: an edit distance (with
/// transpositions) of at most 2, or of a quarter of the key's length for long keys.
fn nearest(key: &str, candidates: impl Iterator<Item = &'static str>) -> Option<&'static str> {
    let len = key.chars().count();
    let limit = 2.max(len / 4);
    candidates
        .map(|c| (edit_distance(key, c), c))
        .filter(|&(d, _)| d <= limit && d < len)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        d[i * w] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

// ---------------------------------------------------------------------------------------------
// Rules compose checks after its schema, on the merged model.

fn check_rules(tree: &Value) -> Result<(), ValidationError> {
    let Value::Object(root) = tree else {
        return Ok(());
    };
    for (section, value) in root {
        let Value::Object(entries) = value else {
            continue;
        };
        match section.as_str() {
            "services" => {
                for (name, service) in entries {
                    check_service_rules(name, service)?;
                }
            }
            "volumes" => {
                for (name, volume) in entries {
                    check_external_volume(name, volume)?;
                }
            }
            "secrets" => {
                for (name, secret) in entries {
                    check_file_object("secrets", name, secret, &["file", "environment"])?;
                }
            }
            "configs" => {
                for (name, config) in entries {
                    check_file_object(
                        "configs",
                        name,
                        config,
                        &["file", "environment", "content"],
                    )?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn rule_error(path: String, message: String) -> Result<(), ValidationError> {
    Err(ValidationError { path, message })
}

/// `external: true` volumes take nothing but `name` and extensions.
fn check_external_volume(name: &str, volume: &Value) -> Result<(), ValidationError> {
    let Value::Object(def) = volume else {
        return Ok(());
    };
    let external = match def.get("external") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => {
            matches!(s.to_ascii_lowercase().as_str(), "true" | "y" | "yes" | "on")
        }
        // The deprecated `external: {name: x}` means `external: true`.
        Some(Value::Object(_)) => true,
        _ => false,
    };
    if !external {
        return Ok(());
    }
    match def
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "external") && !k.starts_with("x-"))
    {
        Some(k) => rule_error(
            format!("volumes.{name}.{k}"),
            format!("volumes.{name}: conflicting parameters \"external\" and \"{k}\" specified"),
        ),
        None => Ok(()),
    }
}

/// A secret or config takes exactly one source, unless it is external or has a driver.
fn check_file_object(
    section: &str,
    name: &str,
    value: &Value,
    sources: &[&str],
) -> Result<(), ValidationError> {
    let Value::Object(def) = value else {
        return Ok(());
    };
    let given: Vec<&&str> = sources.iter().filter(|s| def.contains_key(**s)).collect();
    let list = sources.join("|");
    if given.len() > 1 {
        return rule_error(
            format!("{section}.{name}.{}", given[1]),
            format!("{section}.{name}: {list} attributes are mutually exclusive"),
        );
    }
    if given.is_empty() && !def.contains_key("driver") && !def.contains_key("external") {
        return rule_error(
            format!("{section}.{name}"),
            format!("{section}.{name}: one of {list} must be set"),
        );
    }
    Ok(())
}

fn check_service_rules(name: &str, service: &Value) -> Result<(), ValidationError> {
    let Value::Object(def) = service else {
        return Ok(());
    };
    let p = format!("services.{name}");
    if let Some(Value::Array(ports)) = def.get("ports") {
        for (i, port) in ports.iter().enumerate() {
            if let Some(Value::String(ip)) = port.get("host_ip")
                && ip.parse::<std::net::IpAddr>().is_err()
            {
                return rule_error(
                    format!("{p}.ports[{i}].host_ip"),
                    format!("{p}.ports.{i}: invalid ip address: {ip}"),
                );
            }
        }
    }
    if let Some(Value::Array(watch)) = def.get("develop").and_then(|d| d.get("watch")) {
        for (i, rule) in watch.iter().enumerate() {
            if rule.get("path").and_then(Value::as_str) == Some("") {
                return rule_error(
                    format!("{p}.develop.watch[{i}].path"),
                    format!("{p}.develop.watch.{i}.path: value can't be blank"),
                );
            }
        }
    }
    let devices = def
        .get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("reservations"))
        .and_then(|r| r.get("devices"));
    for (list, at) in [
        (
            devices,
            format!("{p}.deploy.resources.reservations.devices"),
        ),
        (def.get("gpus"), format!("{p}.gpus")),
    ] {
        let Some(Value::Array(requests)) = list else {
            continue;
        };
        for (i, request) in requests.iter().enumerate() {
            if request.get("count").is_some() && request.get("device_ids").is_some() {
                let dotted = format!("{at}.{i}");
                return rule_error(
                    format!("{at}[{i}]"),
                    format!("{dotted}: \"count\" and \"device_ids\" attributes are exclusive"),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(v: Value) -> ValidationError {
        validate(&v).expect_err("should be invalid")
    }

    #[test]
    fn accepts_a_plain_file() {
        let v = json!({
            "name": "demo",
            "x-common": {"anything": [1, 2]},
            "services": {
                "web": {
                    "image": "nginx",
                    "ports": ["80:80", 443, {"target": 8080, "published": "8080"}],
                    "environment": {"A": 1, "B": null, "C": true},
                    "depends_on": {"db": {"condition": "service_healthy"}},
                    "deploy": null,
                    "x-meta": 1
                },
                "x-svc": {"image": "busybox"},
                "db": {"image": "postgres", "environment": ["A=1"], "cpus": "0.5"}
            },
            "networks": {"front": null, "back": {"external": true}},
            "volumes": {"data": {}, "ext": {"external": true, "name": "x"}}
        });
        assert_eq!(validate(&v), Ok(()));
    }

    #[test]
    fn unknown_key_with_suggestion() {
        let e = err(json!({"services": {"web": {"imgae": "nginx"}}}));
        assert_eq!(e.path, "services.web.imgae");
        assert_eq!(
            e.message,
            "services.web additional properties 'imgae' not allowed (did you mean 'image'?)"
        );
        let e = err(json!({"services": {"web": {"image": "x", "foo": 1}}}));
        assert_eq!(
            e.message,
            "services.web additional properties 'foo' not allowed"
        );
        let e = err(json!({"servics": {}}));
        assert_eq!(e.path, "servics");
        assert_eq!(
            e.message,
            "additional properties 'servics' not allowed (did you mean 'services'?)"
        );
    }

    #[test]
    fn type_errors_use_compose_wording() {
        let e = err(json!({"services": {"foo": {"image": 1}}}));
        assert_eq!(e.message, "services.foo.image must be a string");
        let e = err(json!({"services": {"foo": {"environment": "FOO=1"}}}));
        assert_eq!(e.message, "services.foo.environment must be a mapping");
        let e = err(json!({"services": {"foo": {"environment": {"FOO": [1]}}}}));
        assert_eq!(e.path, "services.foo.environment.FOO");
        assert_eq!(
            e.message,
            "services.foo.environment.FOO must be a boolean, null, number or string"
        );
        assert_eq!(err(json!({"name": 123})).message, "name must be a string");
        assert_eq!(
            err(json!([1])).message,
            "top-level object must be a mapping"
        );
        let e = err(json!({"networks": {"n": {"external": 1}}}));
        assert_eq!(
            e.message,
            "networks.n.external must be a boolean, mapping or string"
        );
    }

    #[test]
    fn list_paths_and_required_keys() {
        let e = err(json!({"services": {"web": {"develop": {"watch": [
            {"path": "./src", "target": "/app"}
        ]}}}}));
        assert_eq!(e.path, "services.web.develop.watch[0]");
        assert_eq!(
            e.message,
            "services.web.develop.watch.0 missing property 'action'"
        );
        let e = err(json!({"services": {"tmpfs": {"volumes": [
            "./a:/a",
            {"type": "tmpfs", "target": "/app", "tmpfs": {"size": -1}}
        ]}}}));
        assert_eq!(e.path, "services.tmpfs.volumes[1].tmpfs.size");
        assert_eq!(
            e.message,
            "services.tmpfs.volumes.1.tmpfs.size must be greater than or equal to 0"
        );
        let e = err(json!({"services": {"t": {"volumes": [
            {"type": "tmpfs", "target": "/app", "tmpfs": {"size": 0.5}}
        ]}}}));
        assert_eq!(
            e.message,
            "services.t.volumes.0.tmpfs.size must be a integer"
        );
        let e = err(json!({"services": {"t": {"volumes": [
            {"type": "tmpfs", "target": "/app", "foo": {}}
        ]}}}));
        assert_eq!(
            e.message,
            "services.t.volumes.0 additional properties 'foo' not allowed"
        );
    }

    #[test]
    fn enums_patterns_bounds_and_uniqueness() {
        let e = err(json!({"services": {"s": {"cgroup": "none"}}}));
        assert_eq!(
            e.message,
            "services.s.cgroup value must be one of 'host', 'private'"
        );
        assert!(validate(&json!({"services": {"s": {"pull_policy": "every_12h"}}})).is_ok());
        let e = err(json!({"services": {"s": {"pull_policy": "sometimes"}}}));
        assert!(e.message.contains("does not match pattern"), "{e:?}");
        let e = err(json!({"services": {"s": {"oom_score_adj": 1001}}}));
        assert_eq!(
            e.message,
            "services.s.oom_score_adj must be less than or equal to 1000"
        );
        let e = err(json!({"services": {"s": {"cap_add": ["A", "B", "A"]}}}));
        assert_eq!(e.message, "services.s.cap_add items at 0 and 2 are equal");
        assert!(validate(&json!({"services": {"s": {"ports": [80, 80.0]}}})).is_err());
        assert_eq!(
            err(json!({"services": {"s": {"gpus": "some"}}})).message,
            "services.s.gpus value must be 'all'"
        );
    }

    #[test]
    fn rules_after_the_structure() {
        let e =
            err(json!({"volumes": {"external_volume": {"external": true, "driver": "foobar"}}}));
        assert_eq!(e.path, "volumes.external_volume.driver");
        assert_eq!(
            e.message,
            "volumes.external_volume: conflicting parameters \"external\" and \"driver\" specified"
        );
        assert!(validate(&json!({"volumes": {"v": {"external": false, "driver": "x"}}})).is_ok());
        let e = err(json!({"secrets": {"s": {"name": "x"}}}));
        assert_eq!(e.message, "secrets.s: one of file|environment must be set");
        let e = err(json!({"configs": {"c": {"file": "a", "content": "b"}}}));
        assert_eq!(
            e.message,
            "configs.c: file|environment|content attributes are mutually exclusive"
        );
        let e = err(json!({"services": {"s": {"gpus": [{"count": 1, "device_ids": ["a"]}]}}}));
        assert!(
            e.message
                .ends_with("\"count\" and \"device_ids\" attributes are exclusive")
        );
        let e = err(json!({"services": {"s": {"ports": [{"target": 80, "host_ip": "x"}]}}}));
        assert_eq!(e.message, "services.s.ports.0: invalid ip address: x");
    }

    #[test]
    fn first_error_in_document_order() {
        let e = err(json!({"services": {
            "a": {"image": "x", "tty": []},
            "b": {"image": 1}
        }}));
        assert_eq!(e.path, "services.a.tty");
        assert_eq!(e.message, "services.a.tty must be a boolean or string");
    }

    #[test]
    fn suggestions() {
        let keys = ["image", "ports", "environment", "volumes"];
        assert_eq!(nearest("imgae", keys.into_iter()), Some("image"));
        assert_eq!(nearest("enviroment", keys.into_iter()), Some("environment"));
        assert_eq!(nearest("foo", keys.into_iter()), None);
        assert_eq!(edit_distance("abc", "acb"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
