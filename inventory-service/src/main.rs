use inventory_service::startup::Inventory;
use platform::service::cli::NoCommands;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::service::cli::run::<Inventory, NoCommands, _, _>(
        "Storefront inventory-service",
        |none| async move { match none {} },
    )
    .await
}
