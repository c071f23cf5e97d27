# Die gehosteten Seiten und Fehlermeldungen von IntelliAuth, auf Deutsch.

## The page shell

page-title = { $title } · { $brand }
page-error-title = Fehler: { $title } · { $brand }

## Sign-in

sign-in-title = Anmelden
field-email = E-Mail-Adresse
field-password = Passwort
field-name = Name
sign-in-submit = Anmelden
sign-in-with-passkey = Mit einem Passkey anmelden
sign-in-with-password = Mit Ihrem Passwort anmelden
forgot-password-link = Passwort vergessen?
create-account-link = Konto erstellen
retry-after = { $minutes ->
    [one] Sie können es in etwa { $minutes } Minute erneut versuchen.
   *[other] Sie können es in etwa { $minutes } Minuten erneut versuchen.
}
resend-verification = Bestätigungs-E-Mail erneut senden
captcha-checking = Ihr Browser wird geprüft …
captcha-done = Browserprüfung abgeschlossen.
captcha-answer = Captcha-Antwort

## Registration and email verification

register-title = Konto erstellen
register-submit = Konto erstellen
have-account-link = Sie haben bereits ein Konto? Anmelden
fix-fields = Bitte korrigieren Sie die markierten Felder.
field-error = Dieses Feld: { $problem }
register-sent-title = Fast geschafft
register-sent = Sehen Sie in Ihrem Posteingang nach: Wir haben Ihnen einen Link zur Bestätigung Ihrer E-Mail-Adresse gesendet.
verified-title = E-Mail-Adresse bestätigt
verified = Ihre E-Mail-Adresse ist bestätigt.
resent-title = Sehen Sie in Ihrem Posteingang nach
resent = Falls Ihre Adresse noch bestätigt werden muss, ist ein neuer Link unterwegs.
back-to-sign-in = Zurück zur Anmeldung

## Recovery

forgot-title = Passwort vergessen?
forgot-intro = Geben Sie Ihre E-Mail-Adresse ein, und wir senden Ihnen einen Link, mit dem Sie ein neues Passwort wählen können.
forgot-submit = Link senden
forgot-sent-title = Sehen Sie in Ihrem Posteingang nach
forgot-sent = Falls es für diese Adresse ein Konto gibt, haben wir ihr einen Link zum Wählen eines neuen Passworts gesendet.
reset-title = Neues Passwort wählen
field-new-password = Neues Passwort
reset-submit = Passwort speichern
password-error = Das Passwort: { $problem }
reset-done-title = Passwort geändert
reset-done = Ihr Passwort wurde geändert.

## Second factor

mfa-title = Bestätigen Sie, dass Sie es sind
code-label-totp = Code aus Ihrer Authenticator-App
code-label-sms = Code aus der SMS
code-label-backup = Backup-Code
send-sms = Code per SMS senden
continue = Weiter
enrol-intro = Ihre Organisation verlangt bei der Anmeldung einen zweiten Schritt. Scannen Sie diesen Code mit einer Authenticator-App (oder geben Sie den Schlüssel ein) und geben Sie dann den angezeigten Code ein.
totp-key = Schlüssel:
single-use = Jeder Backup-Code funktioniert nur einmal.
use-passkey = Passkey verwenden
use-totp = Authenticator-App verwenden
use-sms = Code per SMS an Ihr Telefon
use-backup-code = Stattdessen einen Backup-Code verwenden
use-another-title = Andere Methode verwenden
sms-sent = Wir haben einen Code an { $phone } gesendet.
backup-codes-title = Backup-Codes sichern
backup-codes-intro = Ihre Authenticator-App ist eingerichtet. Bewahren Sie diese Backup-Codes sicher auf: Jeder meldet Sie einmal an, falls Sie Ihr Gerät verlieren. Sie werden nur jetzt angezeigt.

## Account

account-title = Ihr Konto
signed-in-as = Angemeldet als { $email }.
sign-out = Abmelden
methods-heading = Anmeldemethoden
remove = Entfernen
continue-with = Weiter mit { $provider }
or-divider = oder
link-with = { $provider } verknüpfen
identities-heading = Verknüpfte Konten
backup-left = { $count ->
    [one] Noch { $count } Backup-Code übrig.
   *[other] Noch { $count } Backup-Codes übrig.
}
add-totp = Authenticator-App hinzufügen
add-phone = Telefon hinzufügen
add-passkey = Passkey hinzufügen
totp-intro = Scannen Sie diesen Code mit einer Authenticator-App (oder geben Sie den Schlüssel ein) und geben Sie dann den angezeigten Code ein.
confirm = Bestätigen
cancel = Abbrechen
field-phone = Telefonnummer mit Ländervorwahl (+4915123456789)
phone-error = Telefonnummer: { $problem }
try-again = Erneut versuchen
back-to-account = Zurück zu Ihrem Konto

## Consent and sign-out

consent-title = Zugriff erlauben
consent-intro = { $app } möchte:
organization-title = Organisation wählen
organization-intro = Bei welcher Organisation möchten Sie sich anmelden?
invitation-title = { $organization } beitreten
invitation-title-plain = Einladung in eine Organisation
invitation-intro = Sie sind eingeladen, { $organization } beizutreten.
invitation-accept = Beitreten
invitation-signed-in-as = Angemeldet als { $email }.
invitation-joined = Sie sind { $organization } beigetreten.
allow = Erlauben
deny = Ablehnen
device-title = Gerät verbinden
device-code-label = Der Code, den Ihr Gerät anzeigt
device-confirm = { $app } auf Ihrem Gerät möchte sich in Ihrem Namen anmelden. Prüfen Sie, dass Ihr Gerät diesen Code zeigt:
device-scopes = Angefragt wird:
scopes-api = Bei { $api }, der API:
device-approved = Ihr Gerät ist angemeldet. Sie können diese Seite schließen.
device-declined = Sie haben abgelehnt: Ihr Gerät ist nicht angemeldet.
sign-out-title = Abmelden
sign-out-question = Möchten Sie sich abmelden?
signed-out-title = Abgemeldet
signed-out = Sie haben sich abgemeldet.

## Errors

restart-title = Noch einmal von vorn
start-again = Neu beginnen
error-title = Etwas ist schiefgelaufen
go-to-sign-in = Zur Anmeldeseite

## The error catalogue's copy, by code

code-invalid_credentials = E-Mail-Adresse oder Passwort ist falsch.
code-account_disabled = Dieses Konto wurde deaktiviert. Wenden Sie sich an Ihre Administration.
code-account_locked = Zu viele fehlgeschlagene Versuche. Versuchen Sie es in einigen Minuten erneut.
code-email_unverified = Bestätigen Sie Ihre E-Mail-Adresse, bevor Sie sich anmelden. In Ihrem Posteingang wartet ein Link.
code-password_must_be_reset = Legen Sie ein neues Passwort fest, um fortzufahren.
code-mfa_required = Zum Abschluss der Anmeldung ist ein zweiter Faktor nötig.
code-mfa_enrolment_required = Wir müssen die Mehr-Faktor-Authentifizierung einrichten, bevor Sie sich anmelden können.
code-step_up_required = Diese Aktion erfordert eine stärkere oder neuere Anmeldung.
code-captcha_required = Lösen Sie das Captcha, um fortzufahren.
code-invalid_redirect_uri = Fehler in der Anmeldekonfiguration. Wenden Sie sich an den Support.
code-invalid_client = Fehler in der Anmeldekonfiguration. Wenden Sie sich an den Support.
code-invalid_grant = Die Berechtigung ist ungültig, abgelaufen oder widerrufen.
code-invalid_scope = Die angeforderte Berechtigung ist für diese App nicht erlaubt.
code-unauthorized_client = Fehler in der Anmeldekonfiguration. Wenden Sie sich an den Support.
code-consent_required = Erlauben Sie die angeforderten Berechtigungen, um fortzufahren.
code-state_mismatch = Die Sicherheitsprüfung der Anmeldung ist fehlgeschlagen. Beginnen Sie auf der Startseite neu.
code-pkce_required = Fehler in der Anmeldekonfiguration. Wenden Sie sich an den Support.
code-token_expired = Das Zugriffstoken ist abgelaufen.
code-session_expired = Ihre Sitzung ist abgelaufen. Melden Sie sich an, um fortzufahren.
code-session_revoked = Ihre Sitzung wurde widerrufen. Melden Sie sich an, um fortzufahren.
code-silent_auth_failed = Die stille Authentifizierung ist fehlgeschlagen.
code-totp_invalid = Dieser Code hat nicht funktioniert. Prüfen Sie Ihre Authenticator-App und versuchen Sie es erneut.
code-webauthn_failed = Die Prüfung mit Ihrem Gerät ist fehlgeschlagen. Versuchen Sie eine andere Methode.
code-sms_send_failed = Der Code konnte nicht gesendet werden. Versuchen Sie es erneut oder nutzen Sie eine andere Methode.
code-sms_rate_limited = Zu viele Code-Anfragen. Warten Sie einige Minuten.
code-backup_code_invalid = Dieser Backup-Code hat nicht funktioniert.
code-flow_expired = Diese Anmeldung hat zu lange gedauert. Beginnen Sie neu.
code-flow_invalid = Die Anmeldesitzung ging verloren. Beginnen Sie neu.
code-network_error = Verbindungsproblem. Prüfen Sie Ihre Internetverbindung und versuchen Sie es erneut.
code-rate_limited = Zu viele Anfragen. Versuchen Sie es gleich noch einmal.
code-server_error = Bei uns ist etwas schiefgelaufen. Versuchen Sie es in Kürze erneut.
code-service_unavailable = Wir sind vorübergehend nicht erreichbar. Prüfen Sie den Status.
code-not_found = Nicht gefunden.
code-permission_denied = Dazu fehlt Ihnen die Berechtigung.
code-validation_failed = Einige Felder sind ungültig. Siehe details.fields.
code-conflict = Diese Ressource existiert bereits.
code-precondition_failed = Seit Ihrem Beginn hat sich etwas geändert. Laden Sie neu und versuchen Sie es erneut.
code-step_blocked = Die Anmeldung wurde durch eine Regel Ihrer Administration blockiert.
code-step_timeout = Die Anmeldung konnte nicht rechtzeitig abgeschlossen werden. Versuchen Sie es erneut.
code-step_error = Bei Ihrer Anmeldung ist etwas schiefgelaufen. Versuchen Sie es in Kürze erneut.
code-upstream_refused = Der Anmeldedienst hat Sie nicht hereingelassen. Versuchen Sie es erneut oder melden Sie sich anders an.
code-upstream_unavailable = Der Anmeldedienst ist nicht erreichbar. Versuchen Sie es gleich noch einmal oder melden Sie sich anders an.
code-upstream_response_invalid = Die Antwort des Anmeldedienstes konnte nicht geprüft werden. Versuchen Sie es erneut oder melden Sie sich anders an.
code-upstream_email_unverified = Ihre E-Mail-Adresse ist bei diesem Anmeldedienst nicht bestätigt. Bestätigen Sie sie dort oder melden Sie sich anders an.
code-upstream_email_missing = Dieser Anmeldedienst hat Ihre E-Mail-Adresse nicht mitgeteilt. Erlauben Sie es dort oder melden Sie sich anders an.
code-link_required = Ein Konto mit dieser E-Mail-Adresse gibt es bereits. Melden Sie sich einmal daran an, um diesen Anmeldedienst zu verknüpfen.
code-last_sign_in_method = Dies ist die einzige Anmeldemöglichkeit für das Konto. Legen Sie zuerst ein Passwort oder eine andere Anmeldung an.
code-authorization_pending = Die Person hat dieses Gerät noch nicht bestätigt. Fragen Sie nach dem Intervall erneut an.
code-slow_down = Das Gerät fragt zu oft an. Verlängern Sie das Intervall um fünf Sekunden.
code-expired_token = Dieser Code ist ungültig oder abgelaufen. Beginnen Sie auf Ihrem Gerät neu.
code-access_denied = Die Anmeldung wurde abgelehnt. Beginnen Sie auf Ihrem Gerät neu, falls das ein Versehen war.
code-invalid_dpop_proof = Der DPoP-Nachweis fehlt, ist fehlerhaft oder passt nicht zu dieser Anfrage oder diesem Schlüssel.
code-use_dpop_nonce = Der Server verlangt eine aktuelle DPoP-Nonce im Nachweis. Versuchen Sie es mit der gesendeten erneut.
code-organization_membership_required = Sie sind kein Mitglied dieser Organisation. Bitten Sie deren Administrator um eine Einladung.

## The domain's own copy, where it says more than the code's

copy-totp-set-up-again = Beginnen Sie die Einrichtung der Authenticator-App erneut.
copy-last-factor = Dies ist Ihre einzige Anmeldemethode, und Ihre Organisation verlangt eine. Fügen Sie zuerst eine weitere hinzu.
copy-no-sms-phone = Für dieses Konto ist kein Telefon für SMS hinterlegt. Verwenden Sie eine andere Methode.
copy-phone-again = Fügen Sie die Telefonnummer erneut hinzu.
copy-sms-code-invalid = Dieser Code hat nicht funktioniert. Prüfen Sie die SMS und versuchen Sie es erneut.

## Field problems, as the domain checks them (the JSON API says them in English)

problem-min-length = { $count ->
    [one] muss mindestens { $count } Zeichen lang sein
   *[other] muss mindestens { $count } Zeichen lang sein
}
problem-max-bytes = darf höchstens { $count } Bytes lang sein
problem-common-password = gehört zu den häufigsten Passwörtern; wählen Sie eines, das schwerer zu erraten ist
problem-email = muss eine E-Mail-Adresse sein, etwa name@beispiel.de
problem-empty = darf nicht leer sein
problem-max-chars = darf höchstens { $count } Zeichen lang sein
problem-control-chars = darf keine Steuerzeichen enthalten
problem-phone = muss eine internationale Nummer im E.164-Format sein, etwa +4915123456789

## E-Mails und SMS

mail-verify-subject = Bestätigen Sie Ihre E-Mail-Adresse
mail-verify-text =
    Bestätigen Sie diese Adresse, indem Sie den folgenden Link öffnen (24 Stunden gültig, einmalig):

    { $link }
mail-invitation-subject = Einladung zu { $organization }
mail-invitation-text =
    Sie sind eingeladen, { $organization } beizutreten. Öffnen Sie den Link unten, um anzunehmen (einmalig):

    { $link }

    Wenn Sie das nicht erwartet haben, ignorieren Sie diese E-Mail.
mail-reset-subject = Setzen Sie Ihr Passwort zurück
mail-reset-text =
    Wählen Sie ein neues Passwort, indem Sie den folgenden Link öffnen (eine Stunde gültig, einmalig):

    { $link }

    Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail; Ihr Passwort bleibt unverändert.
mail-registered-subject = Sie haben bereits ein Konto
mail-registered-text =
    Jemand (hoffentlich Sie) wollte sich mit dieser Adresse registrieren, zu der bereits ein Konto gehört.

    Anmelden:
    { $sign_in }

    Passwort vergessen?
    { $forgot }

    Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren.
sms-code-text = { $code } ist Ihr Anmeldecode für { $tenant }. Er läuft in 5 Minuten ab.
