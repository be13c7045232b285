"""Notification texts in the recipient's language: which device, where, what is wrong and
what to do. Pure. The rule's own detail (dates, codes, distances) follows in English.

Languages: English (en), Bulgarian (bg), Ukrainian (uk), Czech (cs). A new language is one
more entry in each table below."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.rules.findings import AlertType

LANGUAGES = ("en", "bg", "uk", "cs")

# (what is wrong, what to do) per alert type and language
TEXTS: dict[str, dict[AlertType, tuple[str, str]]] = {
    "en": {
        AlertType.SELF_TEST_FAILED: (
            "Self-test failed",
            "The AED may not work in a rescue. Check it today; bring spare pads and a battery.",
        ),
        AlertType.SELF_TEST_WARNING: ("Self-test needs attention", "Check the device this week."),
        AlertType.SELF_TEST_OVERDUE: (
            "Self-test overdue",
            "Check that the device is switched on and connected.",
        ),
        AlertType.DEVICE_SILENT: ("No contact with the device", "Check power and connection on site."),
        AlertType.BRIDGE_OFFLINE: (
            "Bridge offline",
            "Check the bridge's power and network; its devices cannot be heard meanwhile.",
        ),
        AlertType.PADS_EXPIRED: ("Pads expired", "Replace the pads now."),
        AlertType.PADS_EXPIRING: ("Pads expire soon", "Order new pads."),
        AlertType.BATTERY_LOW: ("Battery low", "Replace the battery."),
        AlertType.BATTERY_EXPIRING: ("Battery to be replaced soon", "Order a new battery."),
        AlertType.BATTERY_EXPIRED: ("Battery past its date", "Replace the battery."),
        AlertType.RELOCATED: (
            "Device moved from its place",
            "Find the device and put it back, or update its place.",
        ),
        AlertType.OUTSIDE_SERVICE_AREA: ("Mobile unit outside its service area", "Contact the crew."),
        AlertType.AED_REMOVED: (
            "AED taken out of its cabinet",
            "It may be in use in a rescue. Check on site; call 112 if needed.",
        ),
        AlertType.AED_NOT_RETURNED: ("AED not returned", "Bring it back with new pads."),
        AlertType.DOOR_OPEN: ("Cabinet door left open", "Close the cabinet door."),
        AlertType.TEMPERATURE_OUT_OF_RANGE: ("Temperature out of range", "Check the heating or cooling."),
        AlertType.IN_USE: ("In use in a rescue", "No action: other alerts wait until the rescue ends."),
        AlertType.CLOCK_FAULT: (
            "Device clock wrong",
            "Set the device's clock at the next visit; until then its readings are ordered by sequence.",
        ),
        AlertType.REPORTED_PROBLEM: ("Problem reported by a passer-by", "Read the report and check on site."),
        AlertType.NEEDS_SERVICE: (
            "Service needed after use",
            "Replace the pads, download the rescue record, then confirm in aedmon.",
        ),
    },
    "bg": {
        AlertType.SELF_TEST_FAILED: (
            "Неуспешен самотест",
            "Дефибрилаторът може да не работи при спасяване. Проверете го днес; носете резервни "
            "електроди и батерия.",
        ),
        AlertType.SELF_TEST_WARNING: ("Самотестът изисква внимание", "Проверете устройството тази седмица."),
        AlertType.SELF_TEST_OVERDUE: (
            "Просрочен самотест",
            "Проверете дали устройството е включено и свързано.",
        ),
        AlertType.DEVICE_SILENT: (
            "Няма връзка с устройството",
            "Проверете захранването и връзката на място.",
        ),
        AlertType.BRIDGE_OFFLINE: (
            "Мостът е без връзка",
            "Проверете захранването и мрежата на моста; дотогава устройствата му не се чуват.",
        ),
        AlertType.PADS_EXPIRED: ("Изтекли електроди", "Сменете електродите веднага."),
        AlertType.PADS_EXPIRING: ("Електродите скоро изтичат", "Поръчайте нови електроди."),
        AlertType.BATTERY_LOW: ("Слаба батерия", "Сменете батерията."),
        AlertType.BATTERY_EXPIRING: ("Батерията скоро трябва да се смени", "Поръчайте нова батерия."),
        AlertType.BATTERY_EXPIRED: ("Изтекла батерия", "Сменете батерията."),
        AlertType.RELOCATED: (
            "Устройството е преместено",
            "Намерете устройството и го върнете на място или обновете мястото му.",
        ),
        AlertType.OUTSIDE_SERVICE_AREA: ("Мобилният пункт е извън района си", "Свържете се с екипа."),
        AlertType.AED_REMOVED: (
            "Дефибрилаторът е изваден от шкафа",
            "Може да се използва при спасяване. Проверете на място; при нужда звънете на 112.",
        ),
        AlertType.AED_NOT_RETURNED: ("Дефибрилаторът не е върнат", "Върнете го с нови електроди."),
        AlertType.DOOR_OPEN: ("Вратата на шкафа е отворена", "Затворете вратата на шкафа."),
        AlertType.TEMPERATURE_OUT_OF_RANGE: (
            "Температура извън допустимото",
            "Проверете отоплението или охлаждането.",
        ),
        AlertType.IN_USE: (
            "Използва се при спасяване",
            "Не се изисква действие: другите сигнали изчакват края на спасяването.",
        ),
        AlertType.CLOCK_FAULT: (
            "Грешен часовник на устройството",
            "Сверете часовника на устройството при следващото посещение; "
            "дотогава показанията се подреждат по номер.",
        ),
        AlertType.REPORTED_PROBLEM: (
            "Сигнал за проблем от посетител",
            "Прочетете сигнала и проверете на място.",
        ),
        AlertType.NEEDS_SERVICE: (
            "Нужно е обслужване след употреба",
            "Сменете електродите, изтеглете записа от спасяването и потвърдете в aedmon.",
        ),
    },
    "uk": {
        AlertType.SELF_TEST_FAILED: (
            "Самотест не пройдено",
            "Дефібрилятор може не спрацювати під час рятування. Перевірте його сьогодні; візьміть "
            "запасні електроди й батарею.",
        ),
        AlertType.SELF_TEST_WARNING: ("Самотест потребує уваги", "Перевірте пристрій цього тижня."),
        AlertType.SELF_TEST_OVERDUE: (
            "Самотест прострочено",
            "Перевірте, чи пристрій увімкнено й під'єднано.",
        ),
        AlertType.DEVICE_SILENT: ("Немає зв'язку з пристроєм", "Перевірте живлення та зв'язок на місці."),
        AlertType.BRIDGE_OFFLINE: (
            "Міст не на зв'язку",
            "Перевірте живлення й мережу моста; доти його пристрої не чути.",
        ),
        AlertType.PADS_EXPIRED: ("Термін придатності електродів минув", "Негайно замініть електроди."),
        AlertType.PADS_EXPIRING: ("Термін придатності електродів скоро мине", "Замовте нові електроди."),
        AlertType.BATTERY_LOW: ("Низький заряд батареї", "Замініть батарею."),
        AlertType.BATTERY_EXPIRING: ("Батарею скоро треба замінити", "Замовте нову батарею."),
        AlertType.BATTERY_EXPIRED: ("Термін батареї минув", "Замініть батарею."),
        AlertType.RELOCATED: (
            "Пристрій переміщено",
            "Знайдіть пристрій і поверніть його на місце або оновіть його місце.",
        ),
        AlertType.OUTSIDE_SERVICE_AREA: (
            "Мобільний пункт поза зоною обслуговування",
            "Зв'яжіться з екіпажем.",
        ),
        AlertType.AED_REMOVED: (
            "Дефібрилятор вийнято з шафи",
            "Можливо, його використовують для рятування. Перевірте на місці; за потреби телефонуйте 112.",
        ),
        AlertType.AED_NOT_RETURNED: ("Дефібрилятор не повернуто", "Поверніть його з новими електродами."),
        AlertType.DOOR_OPEN: ("Дверцята шафи відчинені", "Зачиніть дверцята шафи."),
        AlertType.TEMPERATURE_OUT_OF_RANGE: (
            "Температура поза допустимими межами",
            "Перевірте обігрів або охолодження.",
        ),
        AlertType.IN_USE: (
            "Використовується для рятування",
            "Дій не потрібно: інші сповіщення чекають завершення рятування.",
        ),
        AlertType.CLOCK_FAULT: (
            "Неправильний годинник пристрою",
            "Налаштуйте годинник пристрою під час наступного візиту; "
            "доти показання впорядковуються за номером.",
        ),
        AlertType.REPORTED_PROBLEM: (
            "Відвідувач повідомив про проблему",
            "Прочитайте повідомлення й перевірте на місці.",
        ),
        AlertType.NEEDS_SERVICE: (
            "Потрібне обслуговування після використання",
            "Замініть електроди, завантажте запис рятування й підтвердьте в aedmon.",
        ),
    },
    "cs": {
        AlertType.SELF_TEST_FAILED: (
            "Autotest selhal",
            "Defibrilátor nemusí při záchraně fungovat. Zkontrolujte ho ještě dnes; vezměte náhradní "
            "elektrody a baterii.",
        ),
        AlertType.SELF_TEST_WARNING: ("Autotest vyžaduje pozornost", "Zkontrolujte přístroj tento týden."),
        AlertType.SELF_TEST_OVERDUE: (
            "Autotest je po termínu",
            "Zkontrolujte, zda je přístroj zapnutý a připojený.",
        ),
        AlertType.DEVICE_SILENT: ("Přístroj nekomunikuje", "Zkontrolujte na místě napájení a připojení."),
        AlertType.BRIDGE_OFFLINE: (
            "Most je offline",
            "Zkontrolujte napájení a síť mostu; do té doby nejsou jeho přístroje slyšet.",
        ),
        AlertType.PADS_EXPIRED: ("Elektrody jsou prošlé", "Elektrody ihned vyměňte."),
        AlertType.PADS_EXPIRING: ("Elektrody brzy projdou", "Objednejte nové elektrody."),
        AlertType.BATTERY_LOW: ("Slabá baterie", "Vyměňte baterii."),
        AlertType.BATTERY_EXPIRING: ("Baterii bude brzy nutné vyměnit", "Objednejte novou baterii."),
        AlertType.BATTERY_EXPIRED: ("Baterie je po datu výměny", "Vyměňte baterii."),
        AlertType.RELOCATED: (
            "Přístroj byl přemístěn",
            "Najděte přístroj a vraťte ho na místo, nebo upravte jeho umístění.",
        ),
        AlertType.OUTSIDE_SERVICE_AREA: ("Mobilní jednotka je mimo svou oblast", "Kontaktujte posádku."),
        AlertType.AED_REMOVED: (
            "AED byl vyjmut ze skříňky",
            "Může být použit při záchraně. Zkontrolujte to na místě; v případě potřeby volejte 112.",
        ),
        AlertType.AED_NOT_RETURNED: ("AED nebyl vrácen", "Vraťte ho s novými elektrodami."),
        AlertType.DOOR_OPEN: ("Dvířka skříňky zůstala otevřená", "Zavřete dvířka skříňky."),
        AlertType.TEMPERATURE_OUT_OF_RANGE: ("Teplota mimo rozsah", "Zkontrolujte vytápění nebo chlazení."),
        AlertType.IN_USE: ("Použit při záchraně", "Bez akce: ostatní upozornění počkají do konce záchrany."),
        AlertType.CLOCK_FAULT: (
            "Chybné hodiny zařízení",
            "Při příští návštěvě nastavte hodiny zařízení; do té doby se údaje řadí podle pořadového čísla.",
        ),
        AlertType.REPORTED_PROBLEM: (
            "Problém nahlášený kolemjdoucím",
            "Přečtěte si hlášení a zkontrolujte to na místě.",
        ),
        AlertType.NEEDS_SERVICE: (
            "Po použití je nutný servis",
            "Vyměňte elektrody, stáhněte záznam ze záchrany a potvrďte to v aedmon.",
        ),
    },
}

# words around the alert: resolved, where, what to do, details, alerts (count)
FRAME: dict[str, dict[str, str]] = {
    "en": {"resolved": "Resolved", "where": "Where", "todo": "What to do", "detail": "Details",
           "alerts": "alerts", "reminder": "Reminder, not acknowledged yet",
           "escalation": "Escalated: no one has acknowledged this", "digest": "Daily summary",
           "none": "No open alerts: every device is ready.", "devices": "devices"},
    "bg": {"resolved": "Отстранено", "where": "Къде", "todo": "Какво да направите", "detail": "Подробности",
           "alerts": "сигнала", "reminder": "Напомняне, все още не е потвърдено",
           "escalation": "Ескалация: никой не е потвърдил", "digest": "Дневен отчет",
           "none": "Няма отворени сигнали: всички устройства са готови.", "devices": "устройства"},
    "uk": {"resolved": "Усунено", "where": "Де", "todo": "Що зробити", "detail": "Подробиці",
           "alerts": "сповіщення", "reminder": "Нагадування, ще не підтверджено",
           "escalation": "Ескалація: ніхто не підтвердив", "digest": "Щоденний звіт",
           "none": "Немає відкритих сповіщень: усі пристрої готові.", "devices": "пристроїв"},
    "cs": {"resolved": "Vyřešeno", "where": "Kde", "todo": "Co udělat", "detail": "Podrobnosti",
           "alerts": "upozornění", "reminder": "Připomínka, dosud nepotvrzeno",
           "escalation": "Eskalace: nikdo to nepotvrdil", "digest": "Denní přehled",
           "none": "Žádná otevřená upozornění: všechna zařízení jsou připravena.", "devices": "zařízení"},
}  # fmt: skip


@dataclass(frozen=True)
class Item:
    """One alert event to tell a contact of."""

    alert_id: int
    purpose: str  # alert, resolved
    type: AlertType
    severity: str
    device_id: str
    device_name: str
    place: str
    detail: str
    at: datetime


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def language_of(code: str) -> str:
    return code if code in TEXTS else "en"


def render(language: str, site: str, items: list[Item]) -> Message:
    """One message for everything a contact is told about one site at once."""
    lang = language_of(language)
    words = FRAME[lang]
    blocks = []
    for item in items:
        what, todo = TEXTS[lang][item.type]
        device = f"{item.device_name} ({item.device_id})" if item.device_name else item.device_id
        where = ", ".join(part for part in (device, item.place, site) if part)
        if item.purpose == "resolved":
            blocks.append(f"{words['resolved']}: {what}\n{words['where']}: {where}")
            continue
        heading = f"{words[item.purpose]}. " if item.purpose in ("reminder", "escalation") else ""
        blocks.append(
            f"{heading}{what} [{item.severity}]\n{words['where']}: {where}\n{words['todo']}: {todo}\n"
            f"{words['detail']}: {item.detail}"
        )
    if len(items) == 1:
        first = items[0]
        what = TEXTS[lang][first.type][0]
        prefix = f"{words['resolved']}: " if first.purpose == "resolved" else ""
        subject = f"[aedmon] {site}: {prefix}{what} – {first.device_id}"
    else:
        subject = f"[aedmon] {site}: {len(items)} {words['alerts']}"
    return Message(subject, "\n\n".join(blocks))


def render_digest(language: str, site: str, day: str, devices: int, items: list[Item]) -> Message:
    """The daily summary of one site: how many devices, and every alert still open."""
    lang = language_of(language)
    words = FRAME[lang]
    subject = f"[aedmon] {site}: {words['digest']} {day}"
    head = f"{words['digest']} {day}, {site}: {devices} {words['devices']}."
    if not items:
        return Message(subject, f"{head}\n\n{words['none']}")
    return Message(
        f"{subject}, {len(items)} {words['alerts']}", f"{head}\n\n{render(language, site, items).text}"
    )
