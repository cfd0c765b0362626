use crate::helpers::spawn_platform;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn scratch_hold_platform() {
    let p = spawn_platform().await;
    let c = p.customer();
    let env = format!(
        "REG={}\nCAM={}\nCAT={}\nORD={}\nINV={}\nADMIN={}\nCUST={}\nCUST_ID={}\nSVC={}\n",
        p._registration.address, p.campaign.address, p.catalog.address, p.order.address, p.inventory.address,
        p.tokens.admin(), c.token, c.id, p.tokens.service("order-service")
    );
    std::fs::write("/tmp/platform.env", env).unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3000)).await;
}
