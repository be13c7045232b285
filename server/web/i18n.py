"""The pages' words in English, Bulgarian, Ukrainian and Czech.

A reason for a device's readiness is said as `reason.<key>` (what is wrong) and `todo.<key>`
(what to do), where the key is an alert type (the notifications' own words) or a `Cause`."""

from __future__ import annotations

from server.notify.messages import TEXTS
from server.rules.findings import AlertType
from server.rules.readiness import Cause

LANGUAGES = {"en": "English", "bg": "Български", "uk": "Українська", "cs": "Čeština"}

UI: dict[str, dict[str, str]] = {
    "en": {
        "compliance": "Self-tests and inspections",
        "consumables": "Pads and batteries to order",
        "print": "Print",
        "csv": "CSV",
        "chain_ok": "Hash chain verified: no row missing or altered.",
        "chain_bad": "Hash chain broken at row",
        "month": "Month",
        "site": "Site",
        "devices": "Devices",
        "history": "History",
        "alerts": "Alerts",
        "inspections": "Inspections",
        "selftests": "Self-test result (0 pass, 1 warn, 2 fail)",
        "battery_chart": "Battery (%)",
        "temperature": "Temperature (°C)",
        "none": "None.",
        "report": "Report a problem",
        "report_hint": "What is wrong? (the light is red, the cabinet is broken, the AED is missing…)",
        "contact": "Your phone or e-mail, if we may call you back (optional)",
        "send": "Send",
        "thanks": "Thank you. A technician has been told.",
        "too_soon": "A report was sent a moment ago; please wait a minute before sending another.",
        "emergency": "In an emergency call 112 first.",
        "console": "Technician console",
        "acknowledge": "Acknowledge",
        "note": "Note",
        "acknowledged": "Acknowledged",
        "opened": "Opened",
        "no_alerts": "No open alerts.",
        "critical": "critical",
        "major": "major",
        "minor": "minor",
        "info": "info",
        "title": "AED readiness",
        "ready": "Ready",
        "attention": "Needs attention",
        "not_ready": "Not ready",
        "unknown": "Unknown",
        "last_check": "Last check",
        "pads": "Pads until",
        "battery": "Battery until",
        "where": "Where",
        "position": "Position",
        "never": "never",
        "updated": "Updated",
        "no_token": "Open this page with the link you were given (it carries a viewing key).",
        "language": "Language",
    },
    "bg": {
        "compliance": "Самотестове и проверки",
        "consumables": "Електроди и батерии за поръчка",
        "print": "Печат",
        "csv": "CSV",
        "chain_ok": "Веригата от хешове е проверена: няма липсващ или променен ред.",
        "chain_bad": "Веригата от хешове е прекъсната на ред",
        "month": "Месец",
        "site": "Обект",
        "devices": "Устройства",
        "history": "История",
        "alerts": "Сигнали",
        "inspections": "Проверки",
        "selftests": "Резултат от самотеста (0 успешен, 1 внимание, 2 неуспешен)",
        "battery_chart": "Батерия (%)",
        "temperature": "Температура (°C)",
        "none": "Няма.",
        "report": "Сигнал за проблем",
        "report_hint": "Какво не е наред? (светлината е червена, шкафът е счупен, дефибрилаторът липсва…)",
        "contact": "Вашият телефон или имейл, ако можем да ви потърсим (по желание)",
        "send": "Изпрати",
        "thanks": "Благодарим! Техник е уведомен.",
        "too_soon": "Току-що беше изпратен сигнал; изчакайте минута, преди да изпратите нов.",
        "emergency": "При спешен случай първо звъннете на 112.",
        "console": "Конзола на техника",
        "acknowledge": "Потвърди",
        "note": "Бележка",
        "acknowledged": "Потвърдено",
        "opened": "Отворено",
        "no_alerts": "Няма отворени сигнали.",
        "critical": "критичен",
        "major": "сериозен",
        "minor": "малък",
        "info": "за сведение",
        "title": "Готовност на дефибрилаторите",
        "ready": "Готов",
        "attention": "Изисква внимание",
        "not_ready": "Не е готов",
        "unknown": "Неизвестно",
        "last_check": "Последна проверка",
        "pads": "Електроди до",
        "battery": "Батерия до",
        "where": "Къде",
        "position": "Координати",
        "never": "никога",
        "updated": "Обновено",
        "no_token": "Отворете страницата с връзката, която сте получили (тя съдържа ключ за преглед).",
        "language": "Език",
    },
    "uk": {
        "compliance": "Самотести й перевірки",
        "consumables": "Електроди й батареї до замовлення",
        "print": "Друк",
        "csv": "CSV",
        "chain_ok": "Ланцюжок хешів перевірено: жоден рядок не пропущено й не змінено.",
        "chain_bad": "Ланцюжок хешів розірвано на рядку",
        "month": "Місяць",
        "site": "Об'єкт",
        "devices": "Пристрої",
        "history": "Історія",
        "alerts": "Сповіщення",
        "inspections": "Перевірки",
        "selftests": "Результат самотесту (0 пройдено, 1 увага, 2 не пройдено)",
        "battery_chart": "Батарея (%)",
        "temperature": "Температура (°C)",
        "none": "Немає.",
        "report": "Повідомити про проблему",
        "report_hint": "Що не так? (світло червоне, шафа зламана, дефібрилятора немає…)",
        "contact": "Ваш телефон або e-mail, якщо можна вам передзвонити (необов'язково)",
        "send": "Надіслати",
        "thanks": "Дякуємо! Технік отримав повідомлення.",
        "too_soon": "Повідомлення щойно надіслано; зачекайте хвилину перед наступним.",
        "emergency": "У надзвичайній ситуації спершу телефонуйте 112.",
        "console": "Консоль техніка",
        "acknowledge": "Підтвердити",
        "note": "Примітка",
        "acknowledged": "Підтверджено",
        "opened": "Відкрито",
        "no_alerts": "Немає відкритих сповіщень.",
        "critical": "критичне",
        "major": "серйозне",
        "minor": "незначне",
        "info": "до відома",
        "title": "Готовність дефібриляторів",
        "ready": "Готовий",
        "attention": "Потребує уваги",
        "not_ready": "Не готовий",
        "unknown": "Невідомо",
        "last_check": "Остання перевірка",
        "pads": "Електроди до",
        "battery": "Батарея до",
        "where": "Де",
        "position": "Координати",
        "never": "ніколи",
        "updated": "Оновлено",
        "no_token": "Відкрийте сторінку за отриманим посиланням (у ньому ключ для перегляду).",
        "language": "Мова",
    },
    "cs": {
        "compliance": "Autotesty a kontroly",
        "consumables": "Elektrody a baterie k objednání",
        "print": "Tisk",
        "csv": "CSV",
        "chain_ok": "Řetězec hashů ověřen: žádný řádek nechybí ani nebyl změněn.",
        "chain_bad": "Řetězec hashů je přerušen na řádku",
        "month": "Měsíc",
        "site": "Místo",
        "devices": "Zařízení",
        "history": "Historie",
        "alerts": "Upozornění",
        "inspections": "Kontroly",
        "selftests": "Výsledek autotestu (0 v pořádku, 1 pozor, 2 selhal)",
        "battery_chart": "Baterie (%)",
        "temperature": "Teplota (°C)",
        "none": "Žádné.",
        "report": "Nahlásit problém",
        "report_hint": "Co je špatně? (kontrolka svítí červeně, skříňka je rozbitá, AED chybí…)",
        "contact": "Váš telefon nebo e-mail, pokud se vám můžeme ozvat (nepovinné)",
        "send": "Odeslat",
        "thanks": "Děkujeme. Technik byl informován.",
        "too_soon": "Hlášení bylo právě odesláno; před dalším prosím minutu počkejte.",
        "emergency": "V nouzi nejprve volejte 112.",
        "console": "Konzole technika",
        "acknowledge": "Potvrdit",
        "note": "Poznámka",
        "acknowledged": "Potvrzeno",
        "opened": "Otevřeno",
        "no_alerts": "Žádná otevřená upozornění.",
        "critical": "kritické",
        "major": "závažné",
        "minor": "méně závažné",
        "info": "pro informaci",
        "title": "Připravenost AED",
        "ready": "Připraven",
        "attention": "Vyžaduje pozornost",
        "not_ready": "Není připraven",
        "unknown": "Neznámý stav",
        "last_check": "Poslední kontrola",
        "pads": "Elektrody do",
        "battery": "Baterie do",
        "where": "Kde",
        "position": "Poloha",
        "never": "nikdy",
        "updated": "Aktualizováno",
        "no_token": "Otevřete stránku odkazem, který jste dostali (obsahuje klíč k prohlížení).",
        "language": "Jazyk",
    },
}

# (what it is, what to do) for the reasons that are no alert type
CAUSES: dict[str, dict[Cause, tuple[str, str]]] = {
    "en": {
        Cause.READY: ("Nothing wrong reported", ""),
        Cause.NOTHING_HEARD: (
            "Nothing heard from this device yet",
            "Check that it is switched on and connected.",
        ),
        Cause.OFFLINE: ("The device went offline", "Check power and connection on site."),
        Cause.REPORTS_NOT_READY: (
            "The device reports it is not ready",
            "Look at its status light and tell a technician.",
        ),
        Cause.SERVICE_MODE: (
            "The device is in service mode",
            "A technician is working on it, or it was left in service mode.",
        ),
        Cause.UNCONFIRMED: (
            "Registered automatically, not confirmed yet",
            "An administrator should confirm it.",
        ),
    },
    "bg": {
        Cause.READY: ("Не е съобщен проблем", ""),
        Cause.NOTHING_HEARD: ("От устройството още няма данни", "Проверете дали е включено и свързано."),
        Cause.OFFLINE: ("Устройството е без връзка", "Проверете захранването и връзката на място."),
        Cause.REPORTS_NOT_READY: (
            "Устройството съобщава, че не е готово",
            "Вижте светлинния индикатор и уведомете техник.",
        ),
        Cause.SERVICE_MODE: (
            "Устройството е в сервизен режим",
            "Техник работи по него или е оставено в сервизен режим.",
        ),
        Cause.UNCONFIRMED: (
            "Регистрирано автоматично, още не е потвърдено",
            "Администратор трябва да го потвърди.",
        ),
    },
    "uk": {
        Cause.READY: ("Про проблеми не повідомлено", ""),
        Cause.NOTHING_HEARD: (
            "Від пристрою ще нічого не надходило",
            "Перевірте, чи його увімкнено й під'єднано.",
        ),
        Cause.OFFLINE: ("Пристрій не на зв'язку", "Перевірте живлення та зв'язок на місці."),
        Cause.REPORTS_NOT_READY: (
            "Пристрій повідомляє, що не готовий",
            "Подивіться на індикатор стану й повідомте техніка.",
        ),
        Cause.SERVICE_MODE: (
            "Пристрій у сервісному режимі",
            "Технік працює з ним, або його залишили в сервісному режимі.",
        ),
        Cause.UNCONFIRMED: (
            "Зареєстровано автоматично, ще не підтверджено",
            "Адміністратор має його підтвердити.",
        ),
    },
    "cs": {
        Cause.READY: ("Není hlášen žádný problém", ""),
        Cause.NOTHING_HEARD: ("Od přístroje zatím nic nepřišlo", "Zkontrolujte, zda je zapnutý a připojený."),
        Cause.OFFLINE: ("Přístroj je offline", "Zkontrolujte na místě napájení a připojení."),
        Cause.REPORTS_NOT_READY: (
            "Přístroj hlásí, že není připraven",
            "Podívejte se na stavovou kontrolku a informujte technika.",
        ),
        Cause.SERVICE_MODE: (
            "Přístroj je v servisním režimu",
            "Technik na něm pracuje, nebo v servisním režimu zůstal.",
        ),
        Cause.UNCONFIRMED: ("Zaregistrován automaticky, zatím nepotvrzen", "Správce ho má potvrdit."),
    },
}


def _add_reasons() -> None:
    for language, words in UI.items():
        said: list[tuple[AlertType | Cause, tuple[str, str]]] = [
            *TEXTS[language].items(),
            *CAUSES[language].items(),
        ]
        for key, (what, todo) in said:
            words[f"reason.{key}"] = what
            words[f"todo.{key}"] = todo


_add_reasons()


def pick_language(accept_language: str | None) -> str:
    """The first of the browser's languages that the board speaks, else English."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in UI:
            return code
    return "en"
