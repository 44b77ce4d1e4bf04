"""Everything the bot says, keyed, in Chinese (written first) and English.

Short sentences and the words a villager uses.  Placeholders are `str.format` fields.
"""

from __future__ import annotations

from typing import Final

from eligibility.text import Lang

ZH: Final[dict[str, str]] = {
    "greeting": (
        "您好！我帮您查一查，家里能不能得到帮扶：小额贷款、务工交通补贴、公益岗位、"
        "雨露计划、防返贫监测。\n"
        "我问几个问题，不知道的就点“不清楚”。随时发 /result 看结果。"
    ),
    "continue": "接着上次的问题问。",
    "restarted": "好，从头重新问。",
    "cancelled": "好，不问了，刚才的回答已经清掉。想再查，发 /start。",
    "forgotten": "您在这里留下的所有信息都已经删掉了。想再查，发 /start。",
    "progress": "（已回答 {answered} 项）",
    "progress_none": "（第一个问题）",
    "skip": "不清楚",
    "skip_region": "不知道/跳过",
    "yes": "是",
    "no": "否",
    "use_id": "用身份证号算",
    "use_birth_date": "填出生日期",
    "ask_id": ("请输入18位身份证号。只用来算年龄，不会保存，算完马上删掉。"),
    "ask_birth_date": "请输入出生日期，例如 1980-05-01。",
    "id_used": "已按身份证号 {masked} 算出年龄：{age} 岁。号码没有保存。",
    "birth_date_used": "已记下出生日期，年龄 {age} 岁。",
    "bad_int": "请输入数字，例如 {example}。",
    "bad_int_range": "这个数不太对，请输入 {min} 到 {max} 之间的数字。",
    "bad_region": "请输入6位区划代码，例如 140821；不知道就点“不知道/跳过”。",
    "bad_date": "请按 年-月-日 输入，例如 1980-05-01。",
    "bad_id": "这个身份证号不对（{reason}），请再输一次，或点“不清楚”。",
    "id_reason_check_digit": "最后一位校验码不对",
    "id_reason_birth_date": "出生日期不对",
    "id_reason_shape": "应该是18位",
    "bad_choice": "请点下面的按钮选一个。",
    "bad_bool": "请点“是”或“否”。",
    "answered": "✔ {question} —— {answer}",
    "skipped": "✔ {question} —— 不清楚",
    "stale_button": "这个问题已经答过了。",
    "no_more_questions": "问完了，下面是结果：",
    "results_intro": "根据您的回答，结果如下：",
    "results_outro": (
        "以上只是参考，最后以村里、乡镇和银行审核为准。\n"
        "想改答案重新查，发 /restart；想删掉记录，发 /forget。"
    ),
    "verdict_eligible": "能办",
    "verdict_ineligible": "不能办",
    "verdict_needs_info": "还要确认",
    "amount": "钱数：{amount}{unit}",
    "amount_unknown": "钱数：{note}",
    "reasons_ineligible": "为什么不能办：",
    "reasons_needs_info": "还要确认的事：",
    "reasons_eligible": "条件都符合。",
    "reasons_own": "原因：",
    "warnings": "⚠ 请注意：",
    "documents": "要带什么材料：",
    "next_steps": "下一步怎么办：",
    "more": "……还有 {count} 条",
    "programme_card": "【{name}】\n{summary}\n谁能办：{who}",
    "programmes_intro": "一共有 {count} 项帮扶：",
    "lang_set": "好的，以后用中文。",
    "lang_usage": "用法：/lang zh（中文）或 /lang en（English）。",
    "help": (
        "我能帮您查家里能不能得到帮扶。\n"
        "/start 开始查\n/result 马上看结果\n/programmes 有哪些帮扶\n"
        "/restart 从头重新问\n/cancel 不问了\n/forget 删掉我的所有信息\n"
        "/lang en 换成英文\n/privacy 我们保存什么"
    ),
    "privacy": (
        "我们保存：您的回答（不含身份证号）、语言、聊天编号和最后一次使用的时间，"
        "只用来接着问和给出结果。\n"
        "身份证号只用来算年龄，马上丢掉，不保存，也不记日志。\n"
        "{days} 天没有使用，记录会自动删除；发 /forget 马上全部删除。"
    ),
    "not_started": "发 /start 开始查，发 /help 看看我能做什么。",
    "after_results": "已经给出结果了。想重新查发 /restart，想看有哪些帮扶发 /programmes。",
    "not_understood": "我看不懂这个，请用文字回答，或点按钮。",
    "unknown_command": "没有这个命令。发 /help 看看能用哪些。",
    "private_only": "为了保护您的信息，请点我的头像，和我私聊。",
    "slow_down": "请慢一点，过几秒再发。",
    "error": "出了点问题，请再发一次。还不行就发 /restart。",
}

EN: Final[dict[str, str]] = {
    "greeting": (
        "Hello! I can check whether your household can get support: microloans, a transport "
        "subsidy for migrant work, public-welfare jobs, the Yulu plan, and poverty-risk "
        "monitoring.\nI will ask a few questions; tap “Not sure” when you do not know. "
        "Send /result at any time to see the answer."
    ),
    "continue": "Carrying on where we stopped.",
    "restarted": "OK, starting again from the beginning.",
    "cancelled": "OK, stopped. Your answers are cleared. Send /start to check again.",
    "forgotten": "Everything you left here has been deleted. Send /start to check again.",
    "progress": "({answered} answered)",
    "progress_none": "(first question)",
    "skip": "Not sure",
    "skip_region": "Don't know / skip",
    "yes": "Yes",
    "no": "No",
    "use_id": "Use my ID number",
    "use_birth_date": "Give birth date",
    "ask_id": "Please type your 18-character ID number. It is only used for your age and never "
    "stored.",
    "ask_birth_date": "Please type your birth date, e.g. 1980-05-01.",
    "id_used": "From ID number {masked}: age {age}. The number was not stored.",
    "birth_date_used": "Birth date noted: age {age}.",
    "bad_int": "Please type a number, e.g. {example}.",
    "bad_int_range": "That number looks wrong; please type a number from {min} to {max}.",
    "bad_region": "Please type a 6-digit region code, e.g. 140821, or tap “Don't know / skip”.",
    "bad_date": "Please type the date as year-month-day, e.g. 1980-05-01.",
    "bad_id": "That ID number is not valid ({reason}). Please try again, or tap “Not sure”.",
    "id_reason_check_digit": "the last character does not check",
    "id_reason_birth_date": "the birth date in it is impossible",
    "id_reason_shape": "it must be 17 digits and a digit or X",
    "bad_choice": "Please tap one of the buttons below.",
    "bad_bool": "Please tap “Yes” or “No”.",
    "answered": "✔ {question} — {answer}",
    "skipped": "✔ {question} — not sure",
    "stale_button": "That question is already answered.",
    "no_more_questions": "That is all I need. Here are the results:",
    "results_intro": "From your answers:",
    "results_outro": (
        "This is guidance only; the village, township and bank decide in the end.\n"
        "Send /restart to answer again, or /forget to delete your data."
    ),
    "verdict_eligible": "You can apply",
    "verdict_ineligible": "Not possible",
    "verdict_needs_info": "Still to confirm",
    "amount": "Amount: {amount} {unit}",
    "amount_unknown": "Amount: {note}",
    "reasons_ineligible": "Why not:",
    "reasons_needs_info": "Still to confirm:",
    "reasons_eligible": "All conditions are met.",
    "reasons_own": "Why:",
    "warnings": "⚠ Please note:",
    "documents": "What to bring:",
    "next_steps": "What to do next:",
    "more": "… and {count} more",
    "programme_card": "【{name}】\n{summary}\nWho: {who}",
    "programmes_intro": "There are {count} kinds of support:",
    "lang_set": "OK, English from now on.",
    "lang_usage": "Usage: /lang zh (中文) or /lang en (English).",
    "help": (
        "I check whether your household can get support.\n"
        "/start start a check\n/result see the results now\n/programmes the kinds of support\n"
        "/restart answer again from the start\n/cancel stop\n/forget delete all my data\n"
        "/lang zh 中文\n/privacy what we keep"
    ),
    "privacy": (
        "We keep: your answers (never the ID number), your language, the chat id and the time "
        "you last wrote, only to carry on the questions and show the results.\n"
        "An ID number is only used to work out your age, then dropped: never stored or logged.\n"
        "After {days} days without use the record is deleted; /forget deletes it at once."
    ),
    "not_started": "Send /start to begin a check, or /help to see what I can do.",
    "after_results": "The results are above. Send /restart to check again, or /programmes.",
    "not_understood": "I cannot read this; please answer in text or tap a button.",
    "unknown_command": "I do not know that command. Send /help to see the ones I know.",
    "private_only": "To protect your information, please talk to me in a private chat.",
    "slow_down": "Please slow down and try again in a few seconds.",
    "error": "Something went wrong; please send it again, or /restart.",
}

TEXTS: Final[dict[Lang, dict[str, str]]] = {"zh": ZH, "en": EN}

# The command menu Telegram shows, per language.
COMMANDS: Final[dict[Lang, list[tuple[str, str]]]] = {
    "zh": [
        ("start", "开始查能不能得到帮扶"),
        ("result", "马上看结果"),
        ("programmes", "有哪些帮扶"),
        ("restart", "从头重新问"),
        ("cancel", "不问了"),
        ("forget", "删掉我的所有信息"),
        ("lang", "换语言：/lang zh 或 /lang en"),
        ("help", "怎么用"),
        ("privacy", "我们保存什么"),
    ],
    "en": [
        ("start", "check which support you can get"),
        ("result", "see the results now"),
        ("programmes", "the kinds of support"),
        ("restart", "answer again from the start"),
        ("cancel", "stop"),
        ("forget", "delete all my data"),
        ("lang", "language: /lang zh or /lang en"),
        ("help", "how to use this bot"),
        ("privacy", "what we keep"),
    ],
}

# Words a user may type instead of pressing a button.
YES_WORDS: Final = frozenset({"是", "是的", "对", "有", "嗯", "y", "yes", "1"})
NO_WORDS: Final = frozenset({"否", "不是", "不", "没有", "无", "没", "n", "no", "0"})
SKIP_WORDS: Final = frozenset(
    {"不清楚", "不知道", "跳过", "不晓得", "不懂", "skip", "not sure", "don't know", "?", "？"}
)


def say(lang: Lang, key: str, **values: object) -> str:
    """The text `key` in `lang`, with its placeholders filled."""
    template = TEXTS[lang][key]
    return template.format(**values) if values else template
