use web_service::startup::Web;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::cli::run::<Web, platform::service::cli::NoCommands, _, _>(
        "Storefront web-service",
        |own| async move { match own {} },
    )
    .await
}
