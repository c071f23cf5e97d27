# IntelliAuth's hosted pages and error messages, in English: the reference every other
# locale translates, key for key. The `code-…` messages are the error catalogue's copy,
# verbatim (a test compares them with the catalogue).

## The page shell

page-title = { $title } · { $brand }
page-error-title = Error: { $title } · { $brand }

## Sign-in

sign-in-title = Sign in
field-email = Email
field-password = Password
field-name = Name
sign-in-submit = Sign in
sign-in-with-passkey = Sign in with a passkey
sign-in-with-password = Sign in with your password
forgot-password-link = Forgot your password?
create-account-link = Create an account
retry-after = { $minutes ->
    [one] You can try again in about { $minutes } minute.
   *[other] You can try again in about { $minutes } minutes.
}
resend-verification = Resend verification email
captcha-checking = Checking your browser…
captcha-done = Browser check complete.
captcha-answer = Captcha answer

## Registration and email verification

register-title = Create your account
register-submit = Create account
have-account-link = Already have an account? Sign in
fix-fields = Please correct the highlighted fields.
field-error = This { $problem }
register-sent-title = Almost there
register-sent = Check your inbox: we sent you a link to verify your email address.
verified-title = Email verified
verified = Your email address is verified.
resent-title = Check your inbox
resent = If your address still needs verifying, a new link is on its way.
back-to-sign-in = Back to sign in

## Recovery

forgot-title = Forgot your password?
forgot-intro = Enter your email address and we'll send you a link to choose a new password.
forgot-submit = Send reset link
forgot-sent-title = Check your inbox
forgot-sent = If an account exists for that address, we've sent it a link to choose a new password.
reset-title = Choose a new password
field-new-password = New password
reset-submit = Set new password
password-error = The password { $problem }
reset-done-title = Password changed
reset-done = Your password has been changed.

## Second factor

mfa-title = Verify it's you
code-label-totp = Code from your authenticator app
code-label-sms = Code from the text message
code-label-backup = Backup code
send-sms = Text me a code
continue = Continue
enrol-intro = Your organisation requires a second step at sign-in. Scan this code with an authenticator app (or type the key), then enter the code it shows.
totp-key = Key:
single-use = Each backup code works only once.
use-passkey = Use your passkey
use-totp = Use your authenticator app
use-sms = Text a code to your phone
use-backup-code = Use a backup code instead
use-another-title = Use another method
sms-sent = We sent a code to { $phone }.
backup-codes-title = Save your backup codes
backup-codes-intro = Your authenticator app is set up. Keep these backup codes somewhere safe: each one signs you in once if you lose your device. They are shown only now.

## Account

account-title = Your account
signed-in-as = Signed in as { $email }.
sign-out = Sign out
methods-heading = Sign-in methods
remove = Remove
continue-with = Continue with { $provider }
or-divider = or
link-with = Link { $provider }
identities-heading = Linked accounts
backup-left = { $count ->
    [one] { $count } backup code left.
   *[other] { $count } backup codes left.
}
add-totp = Add an authenticator app
add-phone = Add a phone
add-passkey = Add a passkey
totp-intro = Scan this code with an authenticator app (or type the key), then enter the code it shows.
confirm = Confirm
cancel = Cancel
field-phone = Phone number, with the country code (+14155550100)
phone-error = Phone number { $problem }
try-again = Try again
back-to-account = Back to your account

## Consent and sign-out

consent-title = Approve access
consent-intro = { $app } would like to:
organization-title = Choose an organization
organization-intro = Which organization do you want to sign in to?
invitation-title = Join { $organization }
invitation-title-plain = Organization invitation
invitation-intro = You're invited to join { $organization }.
invitation-accept = Join
invitation-signed-in-as = Signed in as { $email }.
invitation-joined = You joined { $organization }.
allow = Allow
deny = Deny
device-title = Connect a device
device-code-label = The code your device shows
device-confirm = { $app } on your device asks to sign in as you. Check that your device shows this code:
device-scopes = It asks for:
scopes-api = At { $api }, the API:
device-approved = Your device is signed in. You can close this page.
device-declined = You declined: your device is not signed in.
sign-out-title = Sign out
sign-out-question = Do you want to sign out?
signed-out-title = Signed out
signed-out = You have signed out.

## Errors

restart-title = Let's start again
start-again = Start again
error-title = Something went wrong
go-to-sign-in = Go to the sign-in page

## The error catalogue's copy, by code

code-invalid_credentials = The email or password is incorrect.
code-account_disabled = This account has been disabled. Contact your administrator.
code-account_locked = Too many failed attempts. Try again in a few minutes.
code-email_unverified = Verify your email before signing in. Check your inbox for a link.
code-password_must_be_reset = Set a new password to continue.
code-mfa_required = A second factor is required to finish signing in.
code-mfa_enrolment_required = We need to set up MFA before you can sign in.
code-step_up_required = This action needs a stronger or more recent sign-in.
code-captcha_required = Solve the captcha challenge to continue.
code-invalid_redirect_uri = Sign-in configuration error. Contact support.
code-invalid_client = Sign-in configuration error. Contact support.
code-invalid_grant = The grant is invalid, expired or revoked.
code-invalid_scope = Permission requested isn't allowed for this app.
code-unauthorized_client = Sign-in configuration error. Contact support.
code-consent_required = Approve the requested permissions to continue.
code-state_mismatch = Sign-in security check failed. Start from the home page.
code-pkce_required = Sign-in configuration error. Contact support.
code-token_expired = The access token has expired.
code-session_expired = Your session has ended. Sign in to continue.
code-session_revoked = Your session has been revoked. Sign in to continue.
code-silent_auth_failed = Silent authentication failed.
code-totp_invalid = That code didn't work. Check your authenticator app and try again.
code-webauthn_failed = Couldn't verify with your device. Try another method.
code-sms_send_failed = Couldn't send the code. Try again or use another method.
code-sms_rate_limited = Too many code requests. Wait a few minutes.
code-backup_code_invalid = That backup code didn't work.
code-flow_expired = This sign-in took too long. Start over.
code-flow_invalid = Sign-in session lost. Start over.
code-network_error = Connection issue. Check your internet and try again.
code-rate_limited = Too many requests. Try again in a moment.
code-server_error = Something went wrong on our side. Try again shortly.
code-service_unavailable = We're temporarily unavailable. Check status.
code-not_found = Not found.
code-permission_denied = You don't have permission to do that.
code-validation_failed = Some fields are invalid. See details.fields.
code-conflict = That resource already exists.
code-precondition_failed = Something changed since you started. Refresh and try again.
code-step_blocked = Sign-in was blocked by a rule set by your administrator.
code-step_timeout = Sign-in couldn't be completed in time. Try again.
code-step_error = Something went wrong while signing you in. Try again shortly.
code-upstream_refused = The sign-in provider didn't let you in. Try again, or sign in another way.
code-upstream_unavailable = We couldn't reach the sign-in provider. Try again in a moment, or sign in another way.
code-upstream_response_invalid = The sign-in provider's answer couldn't be verified. Try again, or sign in another way.
code-upstream_email_unverified = Your email address isn't verified with that sign-in provider. Verify it there, or sign in another way.
code-upstream_email_missing = That sign-in provider didn't share your email address. Allow it there, or sign in another way.
code-link_required = An account with this email already exists. Sign in to it once to link this sign-in provider.
code-last_sign_in_method = This is the only way to sign in to the account. Add a password or another sign-in first.
code-authorization_pending = The user has not approved this device yet. Poll again after the interval.
code-slow_down = The device polls too often. Add five seconds to the interval.
code-expired_token = This code isn't valid or has expired. Start again on your device.
code-access_denied = The sign-in was declined. Start again on your device if that was a mistake.
code-invalid_dpop_proof = The DPoP proof is missing, malformed, or not for this request or key.
code-use_dpop_nonce = The server needs a fresh DPoP nonce in the proof. Retry with the one it sent.
code-organization_membership_required = You're not a member of this organization. Ask its administrator for an invitation.

## The domain's own copy, where it says more than the code's

copy-totp-set-up-again = Start the authenticator app set-up again.
copy-last-factor = This is your only sign-in factor and your organisation requires one. Add another first.
copy-no-sms-phone = There is no phone for text messages on this account. Use another method.
copy-phone-again = Add the phone number again.
copy-sms-code-invalid = That code didn't work. Check the text message and try again.

## Field problems, as the domain checks them (the JSON API says them in English)

problem-min-length = must be at least { $count } characters
problem-max-bytes = must be at most { $count } bytes
problem-common-password = is one of the most common passwords; choose one that is harder to guess
problem-email = must be an email address such as name@example.com
problem-empty = must not be empty
problem-max-chars = must be at most { $count } characters
problem-control-chars = must not contain control characters
problem-phone = must be an international number in E.164 form, such as +14155550100

## Mail and text messages (plain text: each link and code on a line of its own)

mail-verify-subject = Verify your email
mail-verify-text =
    Confirm this address by opening the link below (valid for 24 hours, once):

    { $link }
mail-invitation-subject = You're invited to join { $organization }
mail-invitation-text =
    You're invited to join { $organization }. Open the link below to accept (once):

    { $link }

    If you did not expect this, ignore this mail.
mail-reset-subject = Reset your password
mail-reset-text =
    Choose a new password by opening the link below (valid for an hour, once):

    { $link }

    If you did not ask for this, ignore this mail; your password stays as it is.
mail-registered-subject = You already have an account
mail-registered-text =
    Someone (hopefully you) tried to register with this address, which already has an account.

    Sign in:
    { $sign_in }

    Forgot your password?
    { $forgot }

    If this wasn't you, you can ignore this mail.
sms-code-text = { $code } is your { $tenant } sign-in code. It expires in 5 minutes.
