//! Reading the services' `/metrics` (Prometheus text) for before/after deltas.

use crate::api::Api;

/// The sum of every sample of metric `name` whose labels contain all of `labels`
/// (each written as in the exposition, e.g. `action="flash_sale_postgres_path"`).
pub fn sum(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, label_set) = match series.split_once('{') {
                Some((metric, rest)) => (metric, rest),
                None => (series, ""),
            };
            (metric == name && labels.iter().all(|l| label_set.contains(l)))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

pub async fn scrape(api: &Api, base_url: &str) -> anyhow::Result<String> {
    api.get_text(&format!("{base_url}/metrics")).await
}

#[cfg(test)]
mod tests {
    use super::sum;

    const TEXT: &str = "# HELP storefront_http_requests HTTP requests by route and status
# TYPE storefront_http_requests counter
storefront_http_requests_total{method=\"GET\",route=\"/products/{id}\",status=\"200\"} 120
storefront_http_requests_total{method=\"POST\",route=\"/orders\",status=\"201\"} 7
storefront_cache_hits_total 99
storefront_cache_hits_total_other 5
";

    #[test]
    fn samples_are_summed_by_name_and_labels() {
        assert_eq!(sum(TEXT, "storefront_http_requests_total", &[]), 127.0);
        assert_eq!(
            sum(
                TEXT,
                "storefront_http_requests_total",
                &["route=\"/orders\""]
            ),
            7.0
        );
        assert_eq!(sum(TEXT, "storefront_cache_hits_total", &[]), 99.0);
        assert_eq!(sum(TEXT, "missing", &[]), 0.0);
    }
}
