//! `port SERVICE PRIVATE_PORT`: the host address a container port is published on
//! (`127.0.0.1:32768`), from the first running container of the service (or `--index N`).

use anyhow::{Result, bail};

use super::{Context, ExitCode};
use crate::cli::PortArgs;
use crate::engine::query::service_container;
use crate::output::console;

pub async fn run(ctx: &Context, args: PortArgs) -> Result<ExitCode> {
    let port: u16 = match args.private_port.parse::<u64>() {
        Ok(p) if p <= u64::from(u16::MAX) => p as u16,
        Ok(_) => bail!(
            "strconv.ParseUint: parsing {:?}: value out of range",
            args.private_port
        ),
        Err(_) => bail!(
            "strconv.ParseUint: parsing {:?}: invalid syntax",
            args.private_port
        ),
    };
    let protocol = args.protocol.to_ascii_lowercase();
    let target = ctx.project_or_name(&[])?;
    target.check_services(std::slice::from_ref(&args.service))?;
    let engine = ctx.engine().await?;
    let c = service_container(&engine, target.name(), &args.service, args.index).await?;
    let found = c
        .ports
        .iter()
        .find(|p| p.private == port && p.protocol == protocol && p.public.is_some());
    match found {
        Some(p) => {
            console::line(&format!(
                "{}:{}",
                p.ip.as_deref().unwrap_or_default(),
                p.public.unwrap_or(0)
            ));
            Ok(0)
        }
        None => {
            let listed: Vec<String> = c
                .ports
                .iter()
                .map(|p| format!("{}/{}", p.private, p.protocol))
                .collect();
            bail!(
                "no port {port}/{protocol} for container {}: {}",
                c.name,
                listed.join(", ")
            )
        }
    }
}
