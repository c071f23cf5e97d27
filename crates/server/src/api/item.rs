//! The handlers every tenant resource has alike — read one, delete one — generated from one
//! declaration per resource, with their OpenAPI operations.

/// `get` and `delete` for the resource at `path` (`/v1/tenants/{tenant_id}/…/{id}`): `get`
/// answers the resource as `view` with its `ETag`; `delete` honours `If-Match` and, with
/// `step_up: true`, wants a recent multi-factor sign-in from an admin (RFC 9470).
macro_rules! item_handlers {
    (tag $tag:literal, path $path:literal, id $id:literal, view $view:ident,
     get $read:ident $read_scope:literal => $getter:ident,
     delete $write:ident $write_scope:literal => $deleter:ident, step_up: $step_up:literal) => {
        #[utoipa::path(get, path = $path, tag = $tag, params(("tenant_id" = String, Path), ($id = String, Path)),
            responses((status = 200, body = $view), (status = 404, body = ErrorBody)), security(("bearer" = [$read_scope])))]
        pub async fn get(at: Allowed<$read, Item>) -> ApiResult<Response> {
            let found = at.state.management.$getter(at.tenant_id(), at.id()).await?;
            Ok(resource(StatusCode::OK, &found.meta, $view::from(&found)))
        }

        #[utoipa::path(delete, path = $path, tag = $tag,
            params(("tenant_id" = String, Path), ($id = String, Path), ("If-Match" = Option<String>, Header)),
            responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)),
            security(("bearer" = [$write_scope])))]
        pub async fn delete(at: Allowed<$write, Item>, Precondition(if_match): Precondition) -> ApiResult<StatusCode> {
            if $step_up {
                at.caller.require_step_up()?;
            }
            at.state.management.$deleter(at.tenant_id(), at.id(), if_match.as_ref()).await?;
            Ok(StatusCode::NO_CONTENT)
        }
    };
}

pub(crate) use item_handlers;
