//! The campaign emailer as a Lambda with an SQS event source (AWS): the
//! same handler as the in-process consumer, reporting partial batch failures.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use campaign_service::{config::Settings, emails::handler::EmailHandler, lambda::handle_sqs_event};
use lambda_runtime::{service_fn, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let settings = Settings::from_env()?;
    platform::telemetry::init(settings.common.log_format);
    let pool = platform::db::pool(&settings.common.database)?;
    let handler = EmailHandler::from_settings(&settings, pool).await;
    let handler = &handler;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, lambda_runtime::Error>(
            handle_sqs_event(handler, event.payload).await,
        )
    }))
    .await
}
