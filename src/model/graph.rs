//! The dependency graph of services: topological order, cycle detection with the members named,
//! and the closures `up SERVICE` (dependencies) and `down SERVICE` (dependents) need.
//!
//! Built from a compose model or, in label-only mode, from the `com.docker.compose.depends_on`
//! labels of existing containers; it knows nothing about YAML or the engine.

use indexmap::{IndexMap, IndexSet};
use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graphmap::DiGraphMap;

/// Services and their dependency edges, with a deterministic order (dependencies first, ties in
/// the order the services were given).
#[derive(Debug, Clone, Default)]
pub struct DependencyGraph {
    /// service → the services it depends on.
    deps: IndexMap<String, Vec<String>>,
    order: Vec<String>,
}

impl DependencyGraph {
    /// Builds the graph; every dependency must be one of the services. Errors name a cycle as
    /// `cycle found: a -> b -> a`.
    pub fn build<'a>(
        services: impl IntoIterator<Item = (&'a str, Vec<String>)>,
    ) -> Result<Self, String> {
        let deps: IndexMap<String, Vec<String>> = services
            .into_iter()
            .map(|(s, d)| (s.to_string(), d))
            .collect();
        let index: IndexMap<&str, usize> = deps
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let mut g: DiGraphMap<usize, ()> = DiGraphMap::new();
        for i in 0..deps.len() {
            g.add_node(i);
        }
        for (s, ds) in &deps {
            for d in ds {
                let Some(&di) = index.get(d.as_str()) else {
                    return Err(format!(
                        "service {s:?} depends on undefined service {d:?}: invalid compose project"
                    ));
                };
                // edge dependency → dependent: toposort yields dependencies first
                g.add_edge(di, index[s.as_str()], ());
            }
        }
        if let Err(cycle) = toposort(&g, None) {
            let start = cycle.node_id();
            let scc = tarjan_scc(&g)
                .into_iter()
                .find(|c| c.contains(&start))
                .unwrap_or_else(|| vec![start]);
            // Walk the cycle from `start` following dependency edges inside the component.
            let names: Vec<&str> = deps.keys().map(String::as_str).collect();
            let mut path = vec![start];
            let mut cur = start;
            loop {
                let next = deps[cur]
                    .iter()
                    .filter_map(|d| index.get(d.as_str()).copied())
                    .find(|n| scc.contains(n) && (!path.contains(n) || *n == start));
                match next {
                    Some(n) if n == start => {
                        path.push(n);
                        break;
                    }
                    Some(n) => {
                        path.push(n);
                        cur = n;
                    }
                    None => break,
                }
            }
            let shown: Vec<&str> = path.iter().map(|i| names[*i]).collect();
            return Err(format!("cycle found: {}", shown.join(" -> ")));
        }
        // Stable topological order: repeatedly take the first service whose deps are all placed.
        let mut order: Vec<String> = Vec::with_capacity(deps.len());
        let mut placed: IndexSet<&str> = IndexSet::new();
        while order.len() < deps.len() {
            let next = deps
                .iter()
                .find(|(s, ds)| {
                    !placed.contains(s.as_str()) && ds.iter().all(|d| placed.contains(d.as_str()))
                })
                .map(|(s, _)| s.as_str())
                .expect("acyclic graph always has a ready node");
            placed.insert(next);
            order.push(next.to_string());
        }
        Ok(DependencyGraph { deps, order })
    }

    /// All services, dependencies before dependents.
    pub fn order(&self) -> &[String] {
        &self.order
    }

    /// Direct dependencies of `service`.
    pub fn dependencies(&self, service: &str) -> &[String] {
        self.deps.get(service).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Services that depend directly on `service`.
    pub fn dependents(&self, service: &str) -> Vec<&str> {
        self.deps
            .iter()
            .filter(|(_, ds)| ds.iter().any(|d| d == service))
            .map(|(s, _)| s.as_str())
            .collect()
    }

    /// `selected` plus everything they depend on, transitively, in graph order.
    pub fn with_dependencies(&self, selected: &[String]) -> Vec<String> {
        self.closure(selected, |s| {
            self.dependencies(s).iter().map(String::as_str).collect()
        })
    }

    /// `selected` plus everything that depends on them, transitively, in graph order.
    pub fn with_dependents(&self, selected: &[String]) -> Vec<String> {
        self.closure(selected, |s| self.dependents(s))
    }

    fn closure<'a>(
        &'a self,
        selected: &[String],
        next: impl Fn(&str) -> Vec<&'a str>,
    ) -> Vec<String> {
        let mut seen: IndexSet<String> = IndexSet::new();
        let mut stack: Vec<String> = selected.to_vec();
        while let Some(s) = stack.pop() {
            if seen.insert(s.clone()) {
                stack.extend(next(&s).into_iter().map(str::to_string));
            }
        }
        self.order
            .iter()
            .filter(|s| seen.contains(*s))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(edges: &[(&'static str, &[&'static str])]) -> Result<DependencyGraph, String> {
        DependencyGraph::build(
            edges
                .iter()
                .map(|(s, d)| (*s, d.iter().map(|x| x.to_string()).collect())),
        )
    }

    #[test]
    fn orders_dependencies_first() {
        let gr = g(&[
            ("web", &["api"]),
            ("api", &["db"]),
            ("db", &[]),
            ("cache", &[]),
        ])
        .unwrap();
        assert_eq!(gr.order(), ["db", "api", "web", "cache"]);
        assert_eq!(gr.with_dependencies(&["api".into()]), ["db", "api"]);
        assert_eq!(gr.with_dependents(&["api".into()]), ["api", "web"]);
    }

    #[test]
    fn names_unknown_dependency() {
        let e = g(&[("web", &["db"])]).unwrap_err();
        assert_eq!(
            e,
            "service \"web\" depends on undefined service \"db\": invalid compose project"
        );
    }

    #[test]
    fn names_cycle_members() {
        let e = g(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]).unwrap_err();
        let members = e.strip_prefix("cycle found: ").expect("cycle message");
        let mut names: Vec<&str> = members.split(" -> ").collect();
        assert_eq!(names.first(), names.last(), "{e}");
        names.pop();
        names.sort();
        assert_eq!(names, ["a", "b", "c"], "{e}");
        let e = g(&[("a", &["a"])]).unwrap_err();
        assert_eq!(e, "cycle found: a -> a");
    }
}
