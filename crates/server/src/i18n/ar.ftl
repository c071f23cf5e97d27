# صفحات IntelliAuth المستضافة ورسائل الأخطاء، بالعربية.

## The page shell

page-title = { $title } · { $brand }
page-error-title = خطأ: { $title } · { $brand }

## Sign-in

sign-in-title = تسجيل الدخول
field-email = البريد الإلكتروني
field-password = كلمة المرور
field-name = الاسم
sign-in-submit = تسجيل الدخول
sign-in-with-passkey = تسجيل الدخول بمفتاح مرور
sign-in-with-password = تسجيل الدخول بكلمة المرور
forgot-password-link = هل نسيت كلمة المرور؟
create-account-link = إنشاء حساب
retry-after = { $minutes ->
    [zero] يمكنك المحاولة مرة أخرى الآن.
    [one] يمكنك المحاولة مرة أخرى بعد دقيقة واحدة تقريبًا.
    [two] يمكنك المحاولة مرة أخرى بعد دقيقتين تقريبًا.
    [few] يمكنك المحاولة مرة أخرى بعد { $minutes } دقائق تقريبًا.
    [many] يمكنك المحاولة مرة أخرى بعد { $minutes } دقيقة تقريبًا.
   *[other] يمكنك المحاولة مرة أخرى بعد { $minutes } دقيقة تقريبًا.
}
resend-verification = إعادة إرسال رسالة التحقق
captcha-checking = جارٍ فحص متصفحك…
captcha-done = اكتمل فحص المتصفح.
captcha-answer = إجابة اختبار التحقق

## Registration and email verification

register-title = أنشئ حسابك
register-submit = إنشاء الحساب
have-account-link = لديك حساب بالفعل؟ سجّل الدخول
fix-fields = يُرجى تصحيح الحقول المميزة.
field-error = هذا الحقل: { $problem }
register-sent-title = أوشكت على الانتهاء
register-sent = تحقق من بريدك الوارد: أرسلنا إليك رابطًا للتحقق من عنوان بريدك الإلكتروني.
verified-title = تم التحقق من البريد الإلكتروني
verified = تم التحقق من عنوان بريدك الإلكتروني.
resent-title = تحقق من بريدك الوارد
resent = إذا كان عنوانك لا يزال بحاجة إلى التحقق، فهناك رابط جديد في الطريق إليك.
back-to-sign-in = العودة إلى تسجيل الدخول

## Recovery

forgot-title = هل نسيت كلمة المرور؟
forgot-intro = أدخل عنوان بريدك الإلكتروني وسنرسل إليك رابطًا لاختيار كلمة مرور جديدة.
forgot-submit = إرسال رابط إعادة التعيين
forgot-sent-title = تحقق من بريدك الوارد
forgot-sent = إذا كان هناك حساب بهذا العنوان، فقد أرسلنا إليه رابطًا لاختيار كلمة مرور جديدة.
reset-title = اختر كلمة مرور جديدة
field-new-password = كلمة المرور الجديدة
reset-submit = حفظ كلمة المرور الجديدة
password-error = كلمة المرور: { $problem }
reset-done-title = تم تغيير كلمة المرور
reset-done = تم تغيير كلمة المرور الخاصة بك.

## Second factor

mfa-title = تأكيد هويتك
code-label-totp = الرمز من تطبيق المصادقة
code-label-sms = الرمز من الرسالة النصية
code-label-backup = رمز احتياطي
send-sms = أرسل لي رمزًا
continue = متابعة
enrol-intro = تتطلب مؤسستك خطوة ثانية عند تسجيل الدخول. امسح هذا الرمز بتطبيق مصادقة (أو اكتب المفتاح)، ثم أدخل الرمز الذي يعرضه.
totp-key = المفتاح:
single-use = كل رمز احتياطي يعمل مرة واحدة فقط.
use-passkey = استخدم مفتاح المرور
use-totp = استخدم تطبيق المصادقة
use-sms = أرسل رمزًا إلى هاتفك
use-backup-code = استخدم رمزًا احتياطيًا بدلًا من ذلك
use-another-title = استخدم طريقة أخرى
sms-sent = أرسلنا رمزًا إلى { $phone }.
backup-codes-title = احفظ رموزك الاحتياطية
backup-codes-intro = تم إعداد تطبيق المصادقة. احتفظ بهذه الرموز الاحتياطية في مكان آمن: كل رمز يسجّل دخولك مرة واحدة إذا فقدت جهازك. لن تُعرض إلا الآن.

## Account

account-title = حسابك
signed-in-as = تم تسجيل الدخول باسم { $email }.
sign-out = تسجيل الخروج
methods-heading = طرق تسجيل الدخول
remove = إزالة
continue-with = المتابعة باستخدام { $provider }
or-divider = أو
link-with = ربط { $provider }
identities-heading = الحسابات المرتبطة
backup-left = { $count ->
    [zero] لم يتبقَّ أي رمز احتياطي.
    [one] تبقّى رمز احتياطي واحد.
    [two] تبقّى رمزان احتياطيان.
    [few] تبقّت { $count } رموز احتياطية.
    [many] تبقّى { $count } رمزًا احتياطيًا.
   *[other] تبقّى { $count } رمز احتياطي.
}
add-totp = إضافة تطبيق مصادقة
add-phone = إضافة هاتف
add-passkey = إضافة مفتاح مرور
totp-intro = امسح هذا الرمز بتطبيق مصادقة (أو اكتب المفتاح)، ثم أدخل الرمز الذي يعرضه.
confirm = تأكيد
cancel = إلغاء
field-phone = رقم الهاتف مع رمز الدولة (+971501234567)
phone-error = رقم الهاتف: { $problem }
try-again = حاول مرة أخرى
back-to-account = العودة إلى حسابك

## Consent and sign-out

consent-title = الموافقة على الوصول
consent-intro = يرغب { $app } في:
organization-title = اختر مؤسسة
organization-intro = إلى أي مؤسسة تريد تسجيل الدخول؟
invitation-title = الانضمام إلى { $organization }
invitation-title-plain = دعوة إلى مؤسسة
invitation-intro = أنت مدعو للانضمام إلى { $organization }.
invitation-accept = انضمام
invitation-signed-in-as = تم تسجيل الدخول باسم { $email }.
invitation-joined = انضممت إلى { $organization }.
allow = السماح
deny = الرفض
device-title = ربط جهاز
device-code-label = الرمز الظاهر على جهازك
device-confirm = يطلب { $app } على جهازك تسجيل الدخول باسمك. تحقّق من أن جهازك يعرض هذا الرمز:
device-scopes = يطلب:
scopes-api = لدى الواجهة البرمجية { $api }:
device-approved = تم تسجيل دخول جهازك. يمكنك إغلاق هذه الصفحة.
device-declined = لقد رفضت: لم يُسجَّل دخول جهازك.
sign-out-title = تسجيل الخروج
sign-out-question = هل تريد تسجيل الخروج؟
signed-out-title = تم تسجيل الخروج
signed-out = لقد سجّلت الخروج.

## Errors

restart-title = لنبدأ من جديد
start-again = البدء من جديد
error-title = حدث خطأ ما
go-to-sign-in = الذهاب إلى صفحة تسجيل الدخول

## The error catalogue's copy, by code

code-invalid_credentials = البريد الإلكتروني أو كلمة المرور غير صحيحة.
code-account_disabled = تم تعطيل هذا الحساب. تواصل مع المسؤول.
code-account_locked = محاولات فاشلة كثيرة. حاول مرة أخرى بعد بضع دقائق.
code-email_unverified = تحقق من بريدك الإلكتروني قبل تسجيل الدخول. ستجد رابطًا في بريدك الوارد.
code-password_must_be_reset = عيّن كلمة مرور جديدة للمتابعة.
code-mfa_required = يلزم عامل ثانٍ لإكمال تسجيل الدخول.
code-mfa_enrolment_required = علينا إعداد المصادقة متعددة العوامل قبل أن تتمكن من تسجيل الدخول.
code-step_up_required = يتطلب هذا الإجراء تسجيل دخول أقوى أو أحدث.
code-captcha_required = أكمل اختبار التحقق للمتابعة.
code-invalid_redirect_uri = خطأ في إعدادات تسجيل الدخول. تواصل مع الدعم.
code-invalid_client = خطأ في إعدادات تسجيل الدخول. تواصل مع الدعم.
code-invalid_grant = التفويض غير صالح أو منتهي الصلاحية أو ملغى.
code-invalid_scope = الإذن المطلوب غير مسموح به لهذا التطبيق.
code-unauthorized_client = خطأ في إعدادات تسجيل الدخول. تواصل مع الدعم.
code-consent_required = وافق على الأذونات المطلوبة للمتابعة.
code-state_mismatch = فشل فحص أمان تسجيل الدخول. ابدأ من الصفحة الرئيسية.
code-pkce_required = خطأ في إعدادات تسجيل الدخول. تواصل مع الدعم.
code-token_expired = انتهت صلاحية رمز الوصول.
code-session_expired = انتهت جلستك. سجّل الدخول للمتابعة.
code-session_revoked = تم إلغاء جلستك. سجّل الدخول للمتابعة.
code-silent_auth_failed = فشلت المصادقة الصامتة.
code-totp_invalid = لم يعمل هذا الرمز. تحقق من تطبيق المصادقة وحاول مرة أخرى.
code-webauthn_failed = تعذّر التحقق باستخدام جهازك. جرّب طريقة أخرى.
code-sms_send_failed = تعذّر إرسال الرمز. حاول مرة أخرى أو استخدم طريقة أخرى.
code-sms_rate_limited = طلبات رموز كثيرة. انتظر بضع دقائق.
code-backup_code_invalid = لم يعمل هذا الرمز الاحتياطي.
code-flow_expired = استغرق تسجيل الدخول هذا وقتًا طويلًا. ابدأ من جديد.
code-flow_invalid = فُقدت جلسة تسجيل الدخول. ابدأ من جديد.
code-network_error = مشكلة في الاتصال. تحقق من اتصالك بالإنترنت وحاول مرة أخرى.
code-rate_limited = طلبات كثيرة. حاول مرة أخرى بعد لحظة.
code-server_error = حدث خطأ من جانبنا. حاول مرة أخرى بعد قليل.
code-service_unavailable = الخدمة غير متاحة مؤقتًا. تحقق من حالة الخدمة.
code-not_found = غير موجود.
code-permission_denied = ليس لديك إذن للقيام بذلك.
code-validation_failed = بعض الحقول غير صالحة. راجع details.fields.
code-conflict = هذا المورد موجود بالفعل.
code-precondition_failed = تغيّر شيء ما منذ أن بدأت. حدّث الصفحة وحاول مرة أخرى.
code-step_blocked = حُظر تسجيل الدخول بموجب قاعدة وضعها المسؤول.
code-step_timeout = تعذّر إكمال تسجيل الدخول في الوقت المحدد. حاول مرة أخرى.
code-step_error = حدث خطأ أثناء تسجيل دخولك. حاول مرة أخرى بعد قليل.
code-upstream_refused = لم يسمح لك مزوّد تسجيل الدخول بالدخول. حاول مرة أخرى، أو سجّل الدخول بطريقة أخرى.
code-upstream_unavailable = تعذّر الوصول إلى مزوّد تسجيل الدخول. حاول بعد لحظات، أو سجّل الدخول بطريقة أخرى.
code-upstream_response_invalid = تعذّر التحقق من ردّ مزوّد تسجيل الدخول. حاول مرة أخرى، أو سجّل الدخول بطريقة أخرى.
code-upstream_email_unverified = بريدك الإلكتروني غير موثّق لدى مزوّد تسجيل الدخول هذا. وثّقه هناك، أو سجّل الدخول بطريقة أخرى.
code-upstream_email_missing = لم يشارك مزوّد تسجيل الدخول هذا بريدك الإلكتروني. اسمح بذلك هناك، أو سجّل الدخول بطريقة أخرى.
code-link_required = يوجد حساب بهذا البريد الإلكتروني بالفعل. سجّل الدخول إليه مرة واحدة لربط مزوّد تسجيل الدخول هذا.
code-last_sign_in_method = هذه هي الطريقة الوحيدة لتسجيل الدخول إلى الحساب. أضف كلمة مرور أو طريقة دخول أخرى أولاً.
code-authorization_pending = لم يوافق المستخدم على هذا الجهاز بعد. حاول مجدداً بعد انقضاء الفاصل الزمني.
code-slow_down = يستعلم الجهاز بكثرة. أضف خمس ثوانٍ إلى الفاصل الزمني.
code-expired_token = هذا الرمز غير صالح أو منتهي الصلاحية. ابدأ من جديد على جهازك.
code-access_denied = رُفض تسجيل الدخول. ابدأ من جديد على جهازك إن كان ذلك خطأً.
code-invalid_dpop_proof = إثبات DPoP مفقود أو غير صالح أو لا يخص هذا الطلب أو هذا المفتاح.
code-use_dpop_nonce = يحتاج الخادم إلى رمز DPoP جديد في الإثبات. أعد المحاولة بالرمز الذي أرسله.
code-organization_membership_required = لست عضوًا في هذه المؤسسة. اطلب دعوة من مسؤولها.

## The domain's own copy, where it says more than the code's

copy-totp-set-up-again = ابدأ إعداد تطبيق المصادقة من جديد.
copy-last-factor = هذه طريقة تسجيل الدخول الوحيدة لديك ومؤسستك تشترط وجود واحدة. أضف طريقة أخرى أولًا.
copy-no-sms-phone = لا يوجد هاتف لتلقي الرسائل النصية في هذا الحساب. استخدم طريقة أخرى.
copy-phone-again = أضف رقم الهاتف مرة أخرى.
copy-sms-code-invalid = لم يعمل هذا الرمز. تحقق من الرسالة النصية وحاول مرة أخرى.

## Field problems, as the domain checks them (the JSON API says them in English)

problem-min-length = { $count ->
    [zero] يجب ألا يكون فارغًا
    [one] يجب أن يتكون من حرف واحد على الأقل
    [two] يجب أن يتكون من حرفين على الأقل
    [few] يجب أن يتكون من { $count } أحرف على الأقل
   *[other] يجب أن يتكون من { $count } حرفًا على الأقل
}
problem-max-bytes = يجب ألا يتجاوز { $count } بايت
problem-common-password = من أكثر كلمات المرور شيوعًا؛ اختر كلمة يصعب تخمينها
problem-email = يجب أن يكون عنوان بريد إلكتروني مثل name@example.com
problem-empty = يجب ألا يكون فارغًا
problem-max-chars = يجب ألا يتجاوز { $count } حرفًا
problem-control-chars = يجب ألا يحتوي على أحرف تحكم
problem-phone = يجب أن يكون رقمًا دوليًا بصيغة E.164، مثل +971501234567

## البريد الإلكتروني والرسائل النصية

mail-verify-subject = تحقق من بريدك الإلكتروني
mail-verify-text =
    أكّد هذا العنوان بفتح الرابط أدناه (صالح لمدة 24 ساعة، لمرة واحدة):

    { $link }
mail-invitation-subject = أنت مدعو للانضمام إلى { $organization }
mail-invitation-text =
    أنت مدعو للانضمام إلى { $organization }. افتح الرابط أدناه للقبول (مرة واحدة):

    { $link }

    إن لم تكن تتوقع ذلك، فتجاهل هذه الرسالة.
mail-reset-subject = أعد تعيين كلمة المرور
mail-reset-text =
    اختر كلمة مرور جديدة بفتح الرابط أدناه (صالح لمدة ساعة، لمرة واحدة):

    { $link }

    إذا لم تطلب ذلك، فتجاهل هذه الرسالة؛ تبقى كلمة المرور كما هي.
mail-registered-subject = لديك حساب بالفعل
mail-registered-text =
    حاول شخص ما (نأمل أن يكون أنت) التسجيل بهذا العنوان، وله حساب بالفعل.

    تسجيل الدخول:
    { $sign_in }

    هل نسيت كلمة المرور؟
    { $forgot }

    إذا لم تكن أنت، يمكنك تجاهل هذه الرسالة.
sms-code-text =
    رمز تسجيل الدخول إلى { $tenant }: { $code }
    تنتهي صلاحيته خلال 5 دقائق.
