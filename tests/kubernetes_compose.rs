//! Compose and Kubernetes built from the same specs agree: the app's ports, variable names,
//! probe paths, resource limits and image, the dev overlay's backing services, and the very
//! values each container gets. Both sides are read with real parsers: Compose's own
//! normalisation (`config --format json`) and YAML through `yaml-rust2`.

mod support;

use serde_json::Value as Json;
use support::kubernetes::{
    VARIANTS, WITH_DOLLARS, app_name, app_workload, build, compose, container, find, k8s_dir,
    rendered, resolve, text,
};
use yaml_rust2::Yaml;

/// Thousandths of a decimal number of cores (`0.25` is 250).
fn thousandths(decimal: &str) -> u64 {
    let (whole, fraction) = decimal.split_once('.').unwrap_or((decimal, ""));
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().expect("cores")
    };
    let fraction: u64 = format!("{fraction:0<3}")
        .parse()
        .expect("a fraction of a core");
    whole * 1000 + fraction
}

/// Millicores of a Kubernetes CPU quantity (`250m`, `1`).
fn millicores(quantity: &str) -> u64 {
    quantity.strip_suffix('m').map_or_else(
        || thousandths(quantity),
        |milli| milli.parse().expect("millicores"),
    )
}

/// Bytes of a Kubernetes memory quantity.
fn bytes(quantity: &str) -> u64 {
    let units = [
        ("Ki", 1u64 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
    ];
    for (suffix, factor) in units {
        if let Some(number) = quantity.strip_suffix(suffix) {
            return number.parse::<u64>().expect("a number") * factor;
        }
    }
    quantity.parse().expect("bytes")
}

fn compose_millicores(cpus: &Json) -> u64 {
    thousandths(&cpus.to_string())
}

fn compose_bytes(memory: &Json) -> u64 {
    memory.as_str().map_or_else(
        || memory.as_u64().expect("memory"),
        |m| m.parse().expect("bytes"),
    )
}

/// Compose's and Kubernetes' resources of one service are the same amounts.
fn assert_same_resources(what: &str, compose: &Json, k8s: &Yaml) {
    let compose = &compose["deploy"]["resources"];
    let k8s = &k8s["resources"];
    for (compose_side, k8s_side) in [("limits", "limits"), ("reservations", "requests")] {
        assert_eq!(
            millicores(text(&k8s[k8s_side]["cpu"])),
            compose_millicores(&compose[compose_side]["cpus"]),
            "{what}: cpu {k8s_side}"
        );
        assert_eq!(
            bytes(text(&k8s[k8s_side]["memory"])),
            compose_bytes(&compose[compose_side]["memory"]),
            "{what}: memory {k8s_side}"
        );
    }
}

fn env_names(container: &Yaml) -> Vec<String> {
    let mut names: Vec<String> = container["env"]
        .as_vec()
        .map(|env| env.iter().map(|e| text(&e["name"]).to_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

fn container_ports(container: &Yaml) -> Vec<i64> {
    container["ports"]
        .as_vec()
        .map(|ports| {
            ports
                .iter()
                .map(|p| p["containerPort"].as_i64().expect("port"))
                .collect()
        })
        .unwrap_or_default()
}

/// The path Compose's probe fetches: the `/...` between quotes in Bun's script.
fn compose_probe_path(service: &Json) -> String {
    let script = service["healthcheck"]["test"]
        .as_array()
        .and_then(|t| t.last())
        .and_then(Json::as_str)
        .expect("a probe script");
    let start = script.find("+'/").expect("a path in the script") + 2;
    let end = script[start..].find('\'').expect("the path's end") + start;
    script[start..end].to_owned()
}

#[test]
fn compose_and_kubernetes_agree_on_ports_variables_probes_limits_and_images() {
    for variant in VARIANTS {
        let built = build(variant);
        let project = compose(&built);
        let name = app_name(&built);
        let dev = rendered(&k8s_dir(&built).join("overlays/dev"));
        let prod = rendered(&k8s_dir(&built).join("overlays/prod"));
        let what = built.name;

        for (overlay, objects) in [("dev", &dev), ("prod", &prod)] {
            let compose_app = &project["services"][&name];
            let workload = app_workload(objects, &name);
            let app = container(workload);

            assert_eq!(
                text(&app["image"]),
                compose_app["image"].as_str().expect("image"),
                "{what}: the app's image"
            );
            let compose_names: Vec<String> = compose_app["environment"]
                .as_object()
                .expect("environment")
                .keys()
                .cloned()
                .collect();
            let k8s_names = env_names(app);
            if overlay == "prod" {
                assert_eq!(k8s_names, compose_names, "{what}: the app's variables");
            } else {
                // The dev overlay adds the settings its connection URLs are built from.
                for n in &compose_names {
                    assert!(k8s_names.contains(n), "{what}: dev lacks {n}");
                }
            }
            assert_same_resources(what, compose_app, app);

            let compose_ports: Vec<i64> = compose_app["ports"]
                .as_array()
                .map(|ports| {
                    ports
                        .iter()
                        .map(|p| p["target"].as_i64().expect("target"))
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(
                container_ports(app),
                compose_ports,
                "{what}: the app's ports"
            );

            if compose_app["healthcheck"]["test"].is_array() {
                let service = find(objects, "Service", &name);
                let published: Vec<i64> = compose_app["ports"]
                    .as_array()
                    .expect("ports")
                    .iter()
                    .map(|p| {
                        p["published"]
                            .as_str()
                            .expect("published")
                            .parse()
                            .expect("port")
                    })
                    .collect();
                let service_ports: Vec<i64> = service["spec"]["ports"]
                    .as_vec()
                    .expect("ports")
                    .iter()
                    .map(|p| p["port"].as_i64().expect("port"))
                    .collect();
                assert_eq!(service_ports, published, "{what}: the Service's ports");
                let live = compose_probe_path(compose_app);
                assert_eq!(
                    text(&app["livenessProbe"]["httpGet"]["path"]),
                    live,
                    "{what}"
                );
                assert_eq!(
                    text(&app["startupProbe"]["httpGet"]["path"]),
                    live,
                    "{what}"
                );
                assert_ne!(
                    text(&app["readinessProbe"]["httpGet"]["path"]),
                    live,
                    "{what}: liveness and readiness share a path"
                );
                assert_eq!(
                    app["livenessProbe"]["periodSeconds"].as_i64(),
                    compose_app["healthcheck"]["interval"]
                        .as_str()
                        .and_then(|s| s.strip_suffix('s'))
                        .and_then(|s| s.parse().ok()),
                    "{what}: liveness runs as often as Compose's probe"
                );
            } else {
                assert!(
                    app["livenessProbe"].is_badvalue(),
                    "{what}: a probe on a job"
                );
            }
        }

        // The dev overlay's backing services are Compose's.
        for (service_name, compose_service) in project["services"].as_object().expect("services") {
            if *service_name == name {
                continue;
            }
            let statefulset = find(&dev, "StatefulSet", service_name);
            let backing = container(statefulset);
            assert_eq!(
                text(&backing["image"]),
                compose_service["image"].as_str().expect("image"),
                "{what}: the image of {service_name}"
            );
            assert_same_resources(what, compose_service, backing);
            let service = find(&dev, "Service", service_name);
            let port = service["spec"]["ports"][0]["port"].as_i64();
            assert_eq!(port, container_ports(backing).first().copied(), "{what}");
            let compose_names: Vec<&String> = compose_service["environment"]
                .as_object()
                .map(|e| e.keys().collect())
                .unwrap_or_default();
            let names = env_names(backing);
            for n in compose_names {
                assert!(names.contains(n), "{what}: {service_name} lacks {n}");
            }
        }
    }
}

#[test]
fn the_dev_overlay_builds_the_values_compose_builds() {
    for variant in VARIANTS {
        let built = build(variant);
        let project = compose(&built);
        let name = app_name(&built);
        let dev = rendered(&k8s_dir(&built).join("overlays/dev"));
        let config = find(&dev, "ConfigMap", &format!("{name}-config"));
        for (service_name, compose_service) in project["services"].as_object().expect("services") {
            let workload = if *service_name == name {
                app_workload(&dev, &name)
            } else {
                find(&dev, "StatefulSet", service_name)
            };
            let values = resolve(&container(workload)["env"], config);
            let Some(expected) = compose_service["environment"].as_object() else {
                continue;
            };
            for (variable, value) in expected {
                // `config` prints a `$` of a value as `$$`, so that its output reads back the
                // same.
                let value = value.as_str().map(|v| v.replace("$$", "$"));
                assert_eq!(
                    values.get(variable).map(String::as_str),
                    value.as_deref(),
                    "{}: {service_name}'s {variable}",
                    built.name
                );
            }
        }
    }
}

#[test]
fn values_with_dollars_reach_the_containers_as_written() {
    let built = build(&WITH_DOLLARS);
    let base = rendered(&k8s_dir(&built).join("base"));
    let config = find(&base, "ConfigMap", "storefront-api-config");
    assert_eq!(text(&config["data"]["GREETING"]), "costs $(PRICE) or $$5");
    let dev = rendered(&k8s_dir(&built).join("overlays/dev"));
    let postgres = resolve(
        &container(find(&dev, "StatefulSet", "postgres"))["env"],
        config,
    );
    assert_eq!(postgres["POSTGRES_USER"], "app$(HOME)$$x$");
    let app = resolve(
        &container(app_workload(&dev, "storefront-api"))["env"],
        config,
    );
    assert_eq!(
        app["DATABASE_URL"],
        "postgres://app$(HOME)$$x$:v-POSTGRES_PASSWORD@postgres:5432/storefront_api"
    );
}
