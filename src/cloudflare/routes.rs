//! Dynamic routes: list, create (route, then a version, then its deployment), delete, and the
//! element graph of a model with fallbacks.
//!
//! The API's envelopes differ per call (contract 2026-08-14): lists answer under `data`, the
//! rest under `result`; creating a version or a deployment returns no id, so the client lists
//! afterwards to find what it made. Creates are never blindly retried.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::api::seg;
use super::error::{ApiError, ops};
use super::http::Client;

const PER_PAGE: u32 = 50;
const MAX_PAGES: u32 = 100;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RouteVersion {
    pub version_id: String,
    /// `"true"` / `"false"`: a string in the API.
    #[serde(default)]
    pub active: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct RouteDeployment {
    pub deployment_id: String,
    pub version_id: String,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DynamicRoute {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub elements: Vec<Value>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub version: Option<RouteVersion>,
    #[serde(default)]
    pub deployment: Option<RouteDeployment>,
}

impl DynamicRoute {
    /// The models of the graph in the order a request tries them (start → model → its
    /// fallback → ...), as `provider/model`.
    pub fn model_chain(&self) -> Vec<String> {
        let find = |id: &str| self.elements.iter().find(|e| e["id"] == id);
        let start = self.elements.iter().find(|e| e["type"] == "start");
        let mut cur = start.and_then(|s| s["outputs"]["next"]["elementId"].as_str());
        let mut out = vec![];
        while let Some(el) = cur.and_then(find) {
            if el["type"] != "model" || out.len() > self.elements.len() {
                break;
            }
            let (p, m) = (
                el["properties"]["provider"].as_str().unwrap_or_default(),
                el["properties"]["model"].as_str().unwrap_or_default(),
            );
            out.push(if m.starts_with(&format!("{p}/")) {
                m.to_string()
            } else {
                format!("{p}/{m}")
            });
            cur = el["outputs"]["fallback"]["elementId"].as_str();
        }
        out
    }
}

/// One node of a route's graph (the contract's `elements[]` oneOf; aigate builds three).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Element {
    Start {
        id: String,
        outputs: BTreeMap<String, Target>,
    },
    Model {
        id: String,
        outputs: BTreeMap<String, Target>,
        properties: ModelProps,
    },
    End {
        id: String,
        outputs: BTreeMap<String, Target>,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Target {
    #[serde(rename = "elementId")]
    pub element_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModelProps {
    pub provider: String,
    pub model: String,
    /// Milliseconds.
    pub timeout: u64,
    pub retries: u32,
}

fn to(id: &str) -> Target {
    Target {
        element_id: id.to_string(),
    }
}

/// start → `models[0]` → on failure `models[1]` → ... → end. Each model's success goes to
/// the end; the last model's fallback is the end too. Models are `provider/model`.
pub fn fallback_graph(models: &[String]) -> Vec<Element> {
    let id = |i: usize| format!("model-{}", i + 1);
    let mut els = vec![Element::Start {
        id: "start".into(),
        outputs: BTreeMap::from([("next".to_string(), to(&id(0)))]),
    }];
    for (i, m) in models.iter().enumerate() {
        let (provider, model) = m.split_once('/').unwrap_or(("", m));
        let next = if i + 1 < models.len() {
            id(i + 1)
        } else {
            "end".to_string()
        };
        els.push(Element::Model {
            id: id(i),
            outputs: BTreeMap::from([
                ("success".to_string(), to("end")),
                ("fallback".to_string(), to(&next)),
            ]),
            properties: ModelProps {
                provider: provider.to_string(),
                model: model.to_string(),
                timeout: 60_000,
                retries: 0,
            },
        });
    }
    els.push(Element::End {
        id: "end".into(),
        outputs: BTreeMap::new(),
    });
    els
}

fn routes_path(a: &str, g: &str) -> String {
    format!("/accounts/{}/ai-gateway/gateways/{}/routes", seg(a), seg(g))
}

/// One create of [`Client::post_then_find`]: where, what, and what to say when the new item
/// cannot be found afterwards.
struct PostThenFind {
    path: String,
    body: Value,
    op: super::Operation,
    missing: &'static str,
}

impl Client {
    /// Every dynamic route of the gateway (all pages of `data.routes`).
    pub async fn list_routes(&self, a: &str, g: &str) -> Result<Vec<DynamicRoute>, ApiError> {
        self.list_data(&routes_path(a, g), "routes", ops::LIST_ROUTES)
            .await
    }

    async fn list_data<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        key: &str,
        op: super::Operation,
    ) -> Result<Vec<T>, ApiError> {
        let mut out = vec![];
        for page in 1..=MAX_PAGES {
            let q = [
                ("page", page.to_string()),
                ("per_page", PER_PAGE.to_string()),
            ];
            let doc = self
                .api_document(Method::GET, path, &q, None, op, true)
                .await?;
            let items = doc["data"][key].as_array().cloned().unwrap_or_default();
            let n = items.len();
            for it in items {
                out.push(serde_json::from_value(it).map_err(|e| {
                    ApiError::unexpected(
                        op,
                        200,
                        &format!("a {key} item has an unexpected shape ({e})"),
                    )
                })?);
            }
            if n < PER_PAGE as usize {
                break;
            }
        }
        Ok(out)
    }

    pub async fn find_route(
        &self,
        a: &str,
        g: &str,
        name: &str,
    ) -> Result<Option<DynamicRoute>, ApiError> {
        Ok(self
            .list_routes(a, g)
            .await?
            .into_iter()
            .find(|r| r.name == name))
    }

    /// `POST .../routes {name, elements}`; after an uncertain failure, looks the route up by
    /// name before sending again.
    pub async fn create_route(
        &self,
        a: &str,
        g: &str,
        name: &str,
        elements: &[Element],
    ) -> Result<DynamicRoute, ApiError> {
        let path = routes_path(a, g);
        let body = json!({"name": name, "elements": elements});
        let post = || async {
            let doc = self
                .api_document(
                    Method::POST,
                    &path,
                    &[],
                    Some(&body),
                    ops::CREATE_ROUTE,
                    false,
                )
                .await?;
            let route: DynamicRoute = serde_json::from_value(doc["result"].clone())
                .map_err(|e| ApiError::unexpected(ops::CREATE_ROUTE, 200, &e.to_string()))?;
            Ok(super::http::Reply {
                result: route,
                result_info: None,
            })
        };
        self.create_checked(ops::CREATE_ROUTE, post, || self.find_route(a, g, name))
            .await
    }

    /// Version ids of a route, newest first as listed.
    pub async fn list_route_versions(
        &self,
        a: &str,
        g: &str,
        route_id: &str,
    ) -> Result<Vec<RouteVersion>, ApiError> {
        let path = format!("{}/{}/versions", routes_path(a, g), seg(route_id));
        self.list_data(&path, "versions", ops::LIST_ROUTES).await
    }

    pub async fn list_route_deployments(
        &self,
        a: &str,
        g: &str,
        route_id: &str,
    ) -> Result<Vec<RouteDeployment>, ApiError> {
        let path = format!("{}/{}/deployments", routes_path(a, g), seg(route_id));
        self.list_data(&path, "deployments", ops::LIST_ROUTES).await
    }

    /// `POST .../versions {elements}`, then the versions list to find the new id (the reply
    /// carries none): the one id that was not there before.
    pub async fn create_route_version(
        &self,
        a: &str,
        g: &str,
        route_id: &str,
        elements: &[Element],
    ) -> Result<String, ApiError> {
        let version = self
            .post_then_find(
                PostThenFind {
                    path: format!("{}/{}/versions", routes_path(a, g), seg(route_id)),
                    body: json!({"elements": elements}),
                    op: ops::CREATE_ROUTE_VERSION,
                    missing: "the new version is not in the versions list",
                },
                || self.list_route_versions(a, g, route_id),
                |v: &RouteVersion| v.version_id.clone(),
                |_| true,
            )
            .await?;
        Ok(version.version_id)
    }

    /// `POST .../deployments {version_id}`, then the deployments list to find it.
    pub async fn deploy_route_version(
        &self,
        a: &str,
        g: &str,
        route_id: &str,
        version_id: &str,
    ) -> Result<RouteDeployment, ApiError> {
        self.post_then_find(
            PostThenFind {
                path: format!("{}/{}/deployments", routes_path(a, g), seg(route_id)),
                body: json!({"version_id": version_id}),
                op: ops::DEPLOY_ROUTE,
                missing: "the new deployment is not in the deployments list",
            },
            || self.list_route_deployments(a, g, route_id),
            |d: &RouteDeployment| d.deployment_id.clone(),
            |d| d.version_id == version_id,
        )
        .await
    }

    /// Creates an item whose reply carries no id: lists, POSTs once (never retried), lists
    /// again, and returns the one item that was not there before and `fits`. The POST's error
    /// is returned only when nothing new appeared (a failure after the item was made still
    /// finds it).
    async fn post_then_find<T, L, Fut>(
        &self,
        post: PostThenFind,
        list: L,
        id: impl Fn(&T) -> String,
        fits: impl Fn(&T) -> bool,
    ) -> Result<T, ApiError>
    where
        L: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Vec<T>, ApiError>>,
    {
        let before: Vec<String> = list().await?.iter().map(&id).collect();
        let sent = self
            .api_document(
                Method::POST,
                &post.path,
                &[],
                Some(&post.body),
                post.op,
                false,
            )
            .await;
        let new = list()
            .await?
            .into_iter()
            .find(|item| !before.contains(&id(item)) && fits(item));
        match (new, sent) {
            (Some(item), _) => Ok(item),
            (None, Err(e)) => Err(e),
            (None, Ok(_)) => Err(ApiError::unexpected(post.op, 200, post.missing)),
        }
    }

    /// `DELETE .../routes/{id}` (idempotent).
    pub async fn delete_route(&self, a: &str, g: &str, route_id: &str) -> Result<(), ApiError> {
        let path = format!("{}/{}", routes_path(a, g), seg(route_id));
        self.api_document(Method::DELETE, &path, &[], None, ops::DELETE_ROUTE, true)
            .await?;
        Ok(())
    }
}

/// What [`Client::publish_route`] does to make a route send to a list of models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Publish {
    /// Create the route. Its create reply is the first version of the graph, already deployed
    /// (the contract requires `version` and `deployment` there); only a reply without them
    /// is followed by a version and its deployment.
    Create,
    /// The route exists with another graph: a new version and its deployment.
    NewVersion { route_id: String },
}

impl Client {
    /// Make route `name` send to `models[0]`, falling back in order (see [`fallback_graph`]):
    /// `route create` and setup's `--fallback-model` both come here. Returns the route with
    /// the graph just deployed, its version and its deployment (each found by listing, as the
    /// API returns no id: no further read of the route is needed).
    pub async fn publish_route(
        &self,
        a: &str,
        g: &str,
        name: &str,
        how: &Publish,
        models: &[String],
    ) -> Result<DynamicRoute, ApiError> {
        let graph = fallback_graph(models);
        let mut route = match how {
            Publish::Create => {
                let created = self.create_route(a, g, name, &graph).await?;
                // The contract's create reply carries the route's first version (the elements
                // just sent) and its deployment: the route is live as created, and a version
                // of the same graph on top would cost four rounds for nothing.
                if created
                    .deployment
                    .as_ref()
                    .is_some_and(|d| !d.version_id.is_empty())
                {
                    return Ok(created);
                }
                created
            }
            Publish::NewVersion { route_id } => DynamicRoute {
                id: route_id.clone(),
                name: name.to_string(),
                elements: vec![],
                created_at: None,
                version: None,
                deployment: None,
            },
        };
        let version = self.create_route_version(a, g, &route.id, &graph).await?;
        let deployment = self.deploy_route_version(a, g, &route.id, &version).await?;
        route.elements = match serde_json::to_value(&graph) {
            Ok(Value::Array(els)) => els,
            _ => vec![],
        };
        route.version = Some(RouteVersion {
            version_id: version,
            active: Some("true".to_string()),
            created_at: None,
        });
        route.deployment = Some(deployment);
        Ok(route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_graph_chains_fallbacks_in_order() {
        let models = vec![
            "openai/gpt-5".to_string(),
            "anthropic/claude-haiku-4.5".into(),
        ];
        let els = serde_json::to_value(fallback_graph(&models)).unwrap();
        let route = DynamicRoute {
            id: "r".into(),
            name: "n".into(),
            elements: els.as_array().unwrap().clone(),
            created_at: None,
            version: None,
            deployment: None,
        };
        assert_eq!(route.model_chain(), models);
        assert_eq!(els[1]["type"], "model");
        assert_eq!(els[2]["outputs"]["fallback"]["elementId"], "end");
    }
}
