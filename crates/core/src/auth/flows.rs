//! Flow objects: creation, and the checks every step starts with (unknown or finished →
//! `flow_invalid`, past its lifetime → `flow_expired`, forged browser post → `state_mismatch`).

use intelliauth_catalogue::Code;

use super::Auth;
use crate::ports::FlowRecord;
use crate::{ids, secret, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKind {
    Login,
    Registration,
    Recovery,
}

impl FlowKind {
    /// The step a new flow of this kind starts at.
    pub fn first_step(self) -> &'static str {
        match self {
            FlowKind::Login => "credentials",
            FlowKind::Registration => "details",
            FlowKind::Recovery => "request",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FlowKind::Login => "login",
            FlowKind::Registration => "registration",
            FlowKind::Recovery => "recovery",
        }
    }
}

/// What proves a step comes from the client that started the flow.
#[derive(Debug, Clone, Copy)]
pub enum CsrfProof<'a> {
    /// A native app talking JSON: no ambient credentials, so no CSRF to defend against.
    Api,
    /// A browser form: the token in the form must match the one in the flow's cookie.
    Browser { cookie: Option<&'a str>, form: Option<&'a str> },
}

/// A new flow and the CSRF token to hand the browser (cookie and form).
#[derive(Debug, Clone)]
pub struct StartedFlow {
    pub flow: FlowRecord,
    pub csrf_token: String,
}

impl Auth {
    pub async fn start_flow(
        &self,
        tenant_id: &str,
        kind: FlowKind,
        browser: bool,
        return_to: Option<&str>,
    ) -> Result<StartedFlow> {
        self.start_flow_with_csrf(tenant_id, kind, kind.first_step(), browser, return_to, None).await
    }

    /// Starts a flow; a browser that already holds a CSRF cookie keeps it, so flows open in
    /// several tabs stay valid together.
    pub async fn start_flow_with_csrf(
        &self,
        tenant_id: &str,
        kind: FlowKind,
        step: &str,
        browser: bool,
        return_to: Option<&str>,
        existing_csrf: Option<&str>,
    ) -> Result<StartedFlow> {
        let tenant = self.tenant(tenant_id).await?;
        let now = ids::now_ms();
        let csrf_token = match existing_csrf.filter(|token| (32..=64).contains(&token.len())) {
            Some(token) => token.to_owned(),
            None => secret::generate(""),
        };
        let flow = FlowRecord {
            id: secret::generate("flw_"),
            tenant_id: tenant.id,
            kind: kind.as_str().into(),
            step: step.into(),
            browser,
            csrf_digest: secret::digest(&csrf_token),
            // Only same-site paths: a flow cannot be turned into an open redirect.
            return_to: return_to.and_then(crate::paths::ReturnTo::parse),
            created_at: now,
            expires_at: now + (tenant.settings.sign_in.flow_lifetime_s as i64) * 1000,
            finished_at: None,
            user_id: None,
            amr: Vec::new(),
        };
        self.auth_store.insert_flow(&flow).await?;
        Ok(StartedFlow { flow, csrf_token })
    }

    /// The flow if it exists for this tenant and kind, is unfinished and unexpired. No
    /// CSRF check: for showing a flow's page, which changes nothing.
    pub async fn live_flow(&self, tenant_id: &str, id: &str, kind: FlowKind) -> Result<FlowRecord> {
        let invalid = || Error::new(Code::FlowInvalid).with_detail("flow", kind.as_str());
        if id.len() > 128 {
            return Err(invalid());
        }
        let flow = self.auth_store.get_flow(id).await?.ok_or_else(invalid)?;
        if flow.tenant_id != tenant_id || flow.kind != kind.as_str() || flow.finished_at.is_some() {
            return Err(invalid());
        }
        if ids::now_ms() >= flow.expires_at {
            return Err(Error::new(Code::FlowExpired).with_detail("flow", kind.as_str()));
        }
        Ok(flow)
    }

    /// The flow, if this step may proceed on it: live, posted through the channel that
    /// started it, and for a browser flow with the CSRF token of its cookie in both the
    /// cookie and the form.
    pub async fn load_flow(
        &self,
        tenant_id: &str,
        id: &str,
        kind: FlowKind,
        proof: CsrfProof<'_>,
    ) -> Result<FlowRecord> {
        let flow = self.live_flow(tenant_id, id, kind).await?;
        // A flow is bound to the channel that started it: an API flow cannot be finished by
        // a browser form (which would hand its session to whoever's browser posts it: login
        // CSRF), and a browser flow cannot be finished without its CSRF token.
        let proven = match (flow.browser, proof) {
            (false, CsrfProof::Api) => true,
            (true, CsrfProof::Browser { cookie: Some(cookie), form: Some(form) }) => {
                secret::digests_equal(&secret::digest(cookie), &flow.csrf_digest)
                    && secret::digests_equal(&secret::digest(form), &flow.csrf_digest)
            }
            _ => false,
        };
        if !proven {
            return Err(Error::new(Code::StateMismatch).with_detail("flow", kind.as_str()));
        }
        Ok(flow)
    }

    /// Ends the flow; a second finish (a replayed post) is `flow_invalid`.
    pub async fn finish_flow(&self, flow: &FlowRecord) -> Result<()> {
        if self.auth_store.finish_flow(&flow.id, ids::now_ms()).await? {
            Ok(())
        } else {
            Err(Error::new(Code::FlowInvalid))
        }
    }
}
