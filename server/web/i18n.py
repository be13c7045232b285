"""The readiness board's words in English, Bulgarian, Ukrainian and Czech."""

from __future__ import annotations

LANGUAGES = {"en": "English", "bg": "Български", "uk": "Українська", "cs": "Čeština"}

UI: dict[str, dict[str, str]] = {
    "en": {
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


def pick_language(accept_language: str | None) -> str:
    """The first of the browser's languages that the board speaks, else English."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in UI:
            return code
    return "en"
