# Pages hébergées et messages d'erreur d'IntelliAuth, en français.

## The page shell

page-title = { $title } · { $brand }
page-error-title = Erreur : { $title } · { $brand }

## Sign-in

sign-in-title = Connexion
field-email = Adresse e-mail
field-password = Mot de passe
field-name = Nom
sign-in-submit = Se connecter
sign-in-with-passkey = Se connecter avec une clé d'accès
sign-in-with-password = Se connecter avec votre mot de passe
forgot-password-link = Mot de passe oublié ?
create-account-link = Créer un compte
retry-after = { $minutes ->
    [one] Vous pourrez réessayer dans environ { $minutes } minute.
   *[other] Vous pourrez réessayer dans environ { $minutes } minutes.
}
resend-verification = Renvoyer l'e-mail de vérification
captcha-checking = Vérification de votre navigateur…
captcha-done = Vérification du navigateur terminée.
captcha-answer = Réponse au captcha

## Registration and email verification

register-title = Créez votre compte
register-submit = Créer le compte
have-account-link = Vous avez déjà un compte ? Connectez-vous
fix-fields = Veuillez corriger les champs signalés.
field-error = Ce champ : { $problem }
register-sent-title = Presque terminé
register-sent = Consultez votre boîte de réception : nous vous avons envoyé un lien pour vérifier votre adresse e-mail.
verified-title = Adresse vérifiée
verified = Votre adresse e-mail est vérifiée.
resent-title = Consultez votre boîte de réception
resent = Si votre adresse doit encore être vérifiée, un nouveau lien est en route.
back-to-sign-in = Retour à la connexion

## Recovery

forgot-title = Mot de passe oublié ?
forgot-intro = Saisissez votre adresse e-mail et nous vous enverrons un lien pour choisir un nouveau mot de passe.
forgot-submit = Envoyer le lien
forgot-sent-title = Consultez votre boîte de réception
forgot-sent = Si un compte existe pour cette adresse, nous lui avons envoyé un lien pour choisir un nouveau mot de passe.
reset-title = Choisissez un nouveau mot de passe
field-new-password = Nouveau mot de passe
reset-submit = Enregistrer le mot de passe
password-error = Le mot de passe : { $problem }
reset-done-title = Mot de passe modifié
reset-done = Votre mot de passe a été modifié.

## Second factor

mfa-title = Confirmez votre identité
code-label-totp = Code de votre application d'authentification
code-label-sms = Code reçu par SMS
code-label-backup = Code de secours
send-sms = M'envoyer un code par SMS
continue = Continuer
enrol-intro = Votre organisation exige une seconde étape à la connexion. Scannez ce code avec une application d'authentification (ou saisissez la clé), puis entrez le code qu'elle affiche.
totp-key = Clé :
single-use = Chaque code de secours ne fonctionne qu'une seule fois.
use-passkey = Utiliser votre clé d'accès
use-totp = Utiliser votre application d'authentification
use-sms = Recevoir un code par SMS
use-backup-code = Utiliser plutôt un code de secours
use-another-title = Utiliser une autre méthode
sms-sent = Nous avons envoyé un code au { $phone }.
backup-codes-title = Conservez vos codes de secours
backup-codes-intro = Votre application d'authentification est configurée. Gardez ces codes de secours en lieu sûr : chacun vous connecte une fois si vous perdez votre appareil. Ils ne sont affichés que maintenant.

## Account

account-title = Votre compte
signed-in-as = Connecté en tant que { $email }.
sign-out = Se déconnecter
methods-heading = Méthodes de connexion
remove = Supprimer
continue-with = Continuer avec { $provider }
or-divider = ou
link-with = Lier { $provider }
identities-heading = Comptes liés
backup-left = { $count ->
    [one] Il reste { $count } code de secours.
   *[other] Il reste { $count } codes de secours.
}
add-totp = Ajouter une application d'authentification
add-phone = Ajouter un téléphone
add-passkey = Ajouter une clé d'accès
totp-intro = Scannez ce code avec une application d'authentification (ou saisissez la clé), puis entrez le code qu'elle affiche.
confirm = Confirmer
cancel = Annuler
field-phone = Numéro de téléphone, avec l'indicatif du pays (+33612345678)
phone-error = Numéro de téléphone : { $problem }
try-again = Réessayer
back-to-account = Retour à votre compte

## Consent and sign-out

consent-title = Autoriser l'accès
consent-intro = { $app } souhaite :
organization-title = Choisir une organisation
organization-intro = À quelle organisation voulez-vous vous connecter ?
invitation-title = Rejoindre { $organization }
invitation-title-plain = Invitation à une organisation
invitation-intro = Vous êtes invité à rejoindre { $organization }.
invitation-accept = Rejoindre
invitation-signed-in-as = Connecté en tant que { $email }.
invitation-joined = Vous avez rejoint { $organization }.
allow = Autoriser
deny = Refuser
device-title = Connecter un appareil
device-code-label = Le code affiché par votre appareil
device-confirm = { $app } sur votre appareil demande à se connecter en votre nom. Vérifiez que votre appareil affiche ce code :
device-scopes = Il demande :
scopes-api = Sur { $api }, l’API :
device-approved = Votre appareil est connecté. Vous pouvez fermer cette page.
device-declined = Vous avez refusé : votre appareil n'est pas connecté.
sign-out-title = Déconnexion
sign-out-question = Voulez-vous vous déconnecter ?
signed-out-title = Déconnecté
signed-out = Vous êtes déconnecté.

## Errors

restart-title = Recommençons
start-again = Recommencer
error-title = Un problème est survenu
go-to-sign-in = Aller à la page de connexion

## The error catalogue's copy, by code

code-invalid_credentials = L'adresse e-mail ou le mot de passe est incorrect.
code-account_disabled = Ce compte a été désactivé. Contactez votre administrateur.
code-account_locked = Trop de tentatives échouées. Réessayez dans quelques minutes.
code-email_unverified = Vérifiez votre adresse e-mail avant de vous connecter. Un lien vous attend dans votre boîte de réception.
code-password_must_be_reset = Choisissez un nouveau mot de passe pour continuer.
code-mfa_required = Un second facteur est nécessaire pour terminer la connexion.
code-mfa_enrolment_required = Nous devons configurer l'authentification à plusieurs facteurs avant que vous puissiez vous connecter.
code-step_up_required = Cette action exige une connexion plus forte ou plus récente.
code-captcha_required = Résolvez le captcha pour continuer.
code-invalid_redirect_uri = Erreur de configuration de la connexion. Contactez le support.
code-invalid_client = Erreur de configuration de la connexion. Contactez le support.
code-invalid_grant = L'autorisation est invalide, expirée ou révoquée.
code-invalid_scope = L'autorisation demandée n'est pas permise pour cette application.
code-unauthorized_client = Erreur de configuration de la connexion. Contactez le support.
code-consent_required = Approuvez les autorisations demandées pour continuer.
code-state_mismatch = Le contrôle de sécurité de la connexion a échoué. Recommencez depuis la page d'accueil.
code-pkce_required = Erreur de configuration de la connexion. Contactez le support.
code-token_expired = Le jeton d'accès a expiré.
code-session_expired = Votre session a pris fin. Connectez-vous pour continuer.
code-session_revoked = Votre session a été révoquée. Connectez-vous pour continuer.
code-silent_auth_failed = L'authentification silencieuse a échoué.
code-totp_invalid = Ce code n'a pas fonctionné. Vérifiez votre application d'authentification et réessayez.
code-webauthn_failed = Impossible de vérifier avec votre appareil. Essayez une autre méthode.
code-sms_send_failed = Impossible d'envoyer le code. Réessayez ou utilisez une autre méthode.
code-sms_rate_limited = Trop de demandes de code. Patientez quelques minutes.
code-backup_code_invalid = Ce code de secours n'a pas fonctionné.
code-flow_expired = Cette connexion a pris trop de temps. Recommencez.
code-flow_invalid = La session de connexion a été perdue. Recommencez.
code-network_error = Problème de connexion. Vérifiez votre accès à Internet et réessayez.
code-rate_limited = Trop de requêtes. Réessayez dans un instant.
code-server_error = Un problème est survenu de notre côté. Réessayez sous peu.
code-service_unavailable = Nous sommes momentanément indisponibles. Consultez l'état du service.
code-not_found = Introuvable.
code-permission_denied = Vous n'avez pas l'autorisation de faire cela.
code-validation_failed = Certains champs sont invalides. Voir details.fields.
code-conflict = Cette ressource existe déjà.
code-precondition_failed = Quelque chose a changé depuis votre début. Actualisez et réessayez.
code-step_blocked = La connexion a été bloquée par une règle définie par votre administrateur.
code-step_timeout = La connexion n'a pas pu aboutir à temps. Réessayez.
code-step_error = Un problème est survenu pendant votre connexion. Réessayez sous peu.
code-upstream_refused = Le fournisseur de connexion ne vous a pas laissé entrer. Réessayez, ou connectez-vous autrement.
code-upstream_unavailable = Impossible de joindre le fournisseur de connexion. Réessayez dans un instant, ou connectez-vous autrement.
code-upstream_response_invalid = La réponse du fournisseur de connexion n'a pas pu être vérifiée. Réessayez, ou connectez-vous autrement.
code-upstream_email_unverified = Votre adresse e-mail n'est pas vérifiée chez ce fournisseur de connexion. Vérifiez-la là-bas, ou connectez-vous autrement.
code-upstream_email_missing = Ce fournisseur de connexion n'a pas partagé votre adresse e-mail. Autorisez-la là-bas, ou connectez-vous autrement.
code-link_required = Un compte avec cette adresse e-mail existe déjà. Connectez-vous-y une fois pour lier ce fournisseur de connexion.
code-last_sign_in_method = C'est le seul moyen de se connecter à ce compte. Ajoutez d'abord un mot de passe ou un autre moyen de connexion.
code-authorization_pending = L'utilisateur n'a pas encore approuvé cet appareil. Réessayez après l'intervalle.
code-slow_down = L'appareil interroge trop souvent. Ajoutez cinq secondes à l'intervalle.
code-expired_token = Ce code n'est pas valide ou a expiré. Recommencez sur votre appareil.
code-access_denied = La connexion a été refusée. Recommencez sur votre appareil s'il s'agit d'une erreur.
code-invalid_dpop_proof = La preuve DPoP est absente, mal formée, ou ne correspond pas à cette requête ou à cette clé.
code-use_dpop_nonce = Le serveur demande un nonce DPoP récent dans la preuve. Réessayez avec celui qu'il a envoyé.
code-organization_membership_required = Vous n'êtes pas membre de cette organisation. Demandez une invitation à son administrateur.

## The domain's own copy, where it says more than the code's

copy-totp-set-up-again = Recommencez la configuration de l'application d'authentification.
copy-last-factor = C'est votre seule méthode de connexion et votre organisation en exige une. Ajoutez-en une autre d'abord.
copy-no-sms-phone = Aucun téléphone ne reçoit de SMS pour ce compte. Utilisez une autre méthode.
copy-phone-again = Ajoutez à nouveau le numéro de téléphone.
copy-sms-code-invalid = Ce code n'a pas fonctionné. Vérifiez le SMS et réessayez.

## Field problems, as the domain checks them (the JSON API says them in English)

problem-min-length = { $count ->
    [one] doit contenir au moins { $count } caractère
   *[other] doit contenir au moins { $count } caractères
}
problem-max-bytes = doit faire au plus { $count } octets
problem-common-password = fait partie des mots de passe les plus courants ; choisissez-en un plus difficile à deviner
problem-email = doit être une adresse e-mail, par exemple nom@exemple.fr
problem-empty = ne doit pas être vide
problem-max-chars = doit contenir au plus { $count } caractères
problem-control-chars = ne doit pas contenir de caractères de contrôle
problem-phone = doit être un numéro international au format E.164, par exemple +33612345678

## Courriels et SMS

mail-verify-subject = Confirmez votre adresse e-mail
mail-verify-text =
    Confirmez cette adresse en ouvrant le lien ci-dessous (valable 24 heures, une seule fois) :

    { $link }
mail-invitation-subject = Vous êtes invité à rejoindre { $organization }
mail-invitation-text =
    Vous êtes invité à rejoindre { $organization }. Ouvrez le lien ci-dessous pour accepter (une seule fois) :

    { $link }

    Si vous ne vous y attendiez pas, ignorez ce message.
mail-reset-subject = Réinitialisez votre mot de passe
mail-reset-text =
    Choisissez un nouveau mot de passe en ouvrant le lien ci-dessous (valable une heure, une seule fois) :

    { $link }

    Si vous n'avez rien demandé, ignorez ce message ; votre mot de passe reste inchangé.
mail-registered-subject = Vous avez déjà un compte
mail-registered-text =
    Quelqu'un (vous, espérons-le) a tenté de s'inscrire avec cette adresse, qui a déjà un compte.

    Se connecter :
    { $sign_in }

    Mot de passe oublié ?
    { $forgot }

    Si ce n'était pas vous, vous pouvez ignorer ce message.
sms-code-text = { $code } est votre code de connexion { $tenant }. Il expire dans 5 minutes.
