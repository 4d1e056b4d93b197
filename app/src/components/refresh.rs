use leptos::prelude::*;

use crate::error::AppError;

/// A counter in context that page resources key on: when a mutation succeeds, bumping it makes
/// every page refetch, even when the server's redirect lands on the route already shown.
#[derive(Clone, Copy, Debug)]
pub struct DataEpoch(pub RwSignal<u32>);

/// Provides the epoch; called once by `App`.
pub fn provide_data_epoch() {
    provide_context(DataEpoch(RwSignal::new(0)));
}

/// The current epoch, tracked (use inside resource sources).
pub fn data_epoch() -> u32 {
    use_context::<DataEpoch>().map(|e| e.0.get()).unwrap_or_default()
}

/// Bumps the epoch each time `action` completes successfully.
pub fn refresh_on_success<I, T>(action: ServerAction<I>)
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    let Some(DataEpoch(epoch)) = use_context::<DataEpoch>() else { return };
    Effect::new(move |_| {
        action.version().track();
        if matches!(action.value().get_untracked(), Some(Ok(_))) {
            epoch.update(|e| *e += 1);
        }
    });
}
