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
        "一般 10 个问题以内就有结果，每题都会告诉您最多还有几题。不知道的就点“不清楚”。"
        "随时发 /result 看结果。"
    ),
    "continue": "接着上次的问题问。",
    "restarted": "好，从头重新问。",
    "cancelled": "好，不问了，刚才的回答已经清掉。想再查，发 /start。",
    "forgotten": "您在这里留下的所有信息都已经删掉了。想再查，发 /start。",
    "progress": "第{number}题，最多还有{left}题",
    "progress_last": "第{number}题，最后一题",
    "undo": "✏️ 改上一个回答",
    "undone": "好，上一个回答已经去掉，请重新回答：",
    "noted": "记下：{answer}",
    "approximately": "（大约）",
    "unit_yuan": "元",
    "unit_years": "岁",
    "unit_months": "个月",
    "unit_people": "口人",
    "example_yuan": "请打钱数，例如 30000 或 3万。",
    "example_years": "请打岁数，例如 45。",
    "example_months": "请打月数，例如 6 或 半年。",
    "example_people": "请打人数，例如 4。",
    "example_plain": "请打一个数，例如 3。",
    "too_big": "这个数太大了，看不懂。",
    "ambiguous": "这个数有两种读法，我不敢猜。",
    "not_whole": "请打整数。",
    "age_clash": "按这个出生日期算是 {counted} 岁，和前面说的 {age} 岁对不上。请再看看，或点“不清楚”；要是前面的年龄说错了，发 /restart 重新答。",
    "part_month": "请打整月数，不满一个月的部分不算（不到一个月就是 0）。",
    "unknown_code": "没有找到代码 {code} 的地方（可能是旧代码）。请打县名，比如：临猗、山西运城临猗。",
    "pick_place": "有好几个地方叫这个名字，是哪一个？",
    "none_of_these": "都不是/不清楚",
    "id_used_place": "按身份证号 {masked} 记下：户籍 {place}，年龄 {age} 岁。号码没有保存。",
    "id_county_unknown": "从这个身份证号读不出现在的县（可能是旧代码）。请打县名，比如：临猗。",
    "stale_reset": "这个问题已经重新开始了，请回答最新的问题。",
    "ask_cadre": "已经连着 {count} 个问题不清楚了。家里是哪类户、有没有标注“风险已消除”，村干部或驻村工作队都知道，可以问问他们再来查。已经能确定的：",
    "nothing_certain": "暂时还没有能确定的。",
    "nothing_answered": "还没有回答问题，还没有结果。发 /start 开始，答几个问题就有结果。",
    "declined": "【{name}】您说不借钱，就没有查。想查的话，发 /restart 重新答。",
    "child_offer": "{names}是给上学的孩子的。家里有孩子在读中职、技校或高职吗？点下面加上孩子一起查。",
    "add_child": "➕ 加上孩子",
    "child_label": "孩子",
    "member_you": "您",
    "what_if": "还可以怎么办：",
    "what_if_source": "（政策文件：{sources}）",
    "what_if_more": "可以多拿{more}，一共{amount}：",
    "family_total": "全家一年合计（只算已经确定的钱数）：{total}{unit}",
    "family_apart": "另外还有（没有算进合计）：",
    "family_dates": "什么时候办：",
    "family_checklist": "全家要带的材料（同一份只带一份，几项都要用的放在前面）：",
    "skip": "不清楚",
    "skip_region": "不知道/跳过",
    "yes": "是",
    "no": "否",
    "use_id": "用身份证号算",
    "use_birth_date": "填出生日期",
    "ask_id": (
        "请输入18位身份证号。只用来算年龄（还没答户口在哪个县的，也读出县），不会保存，算完马上删掉。"
    ),
    "ask_birth_date": "请输入出生日期，例如 1980-05-01。",
    "id_used": "已按身份证号 {masked} 算出年龄：{age} 岁。号码没有保存。",
    "birth_date_used": "已记下出生日期，年龄 {age} 岁。",
    "bad_int_range": "这个数不太对，请输入 {min} 到 {max} 之间的数字。",
    "bad_region": "没有找到这个地方。请打县名，比如：临猗、临猗县、山西运城临猗；不知道就点“不知道/跳过”。",
    "bad_date": "请按 年-月-日 输入，例如 1980-05-01。",
    "bad_as_of": "这一天没法算：只能按 {earliest} 到 {latest} 之间的日期算。请再输一次，或点“不清楚”按今天算。",
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
    "programme_card": "【{name}】\n{summary}\n谁能办：{who}",
    "programmes_intro": "一共有 {count} 项帮扶：",
    "lang_set": "好的，以后用中文。",
    "lang_usage": "用法：/lang 中文 或 /lang English（也可以 zh、en）。",
    "help": (
        "我能帮您查家里能不能得到帮扶。\n"
        "/start 开始查\n/result 马上看结果\n/programmes 有哪些帮扶\n"
        "/restart 从头重新问\n/cancel 不问了\n/forget 删掉我的所有信息\n"
        "/lang en 换成英文\n/privacy 我们保存什么"
    ),
    "privacy": (
        "我们保存：您的回答（不含身份证号）、语言、聊天编号和最后一次使用的时间，"
        "只用来接着问和给出结果。\n"
        "身份证号只用来算年龄和读出户口所在的县，马上丢掉，不保存，也不记日志。\n"
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
        "monitoring.\nUsually 10 questions or fewer; each says at most how many are left. Tap "
        "“Not sure” when you do not know. "
        "Send /result at any time to see the answer."
    ),
    "continue": "Carrying on where we stopped.",
    "restarted": "OK, starting again from the beginning.",
    "cancelled": "OK, stopped. Your answers are cleared. Send /start to check again.",
    "forgotten": "Everything you left here has been deleted. Send /start to check again.",
    "progress": "Question {number}, at most {left} more",
    "progress_last": "Question {number}, the last one",
    "undo": "✏️ Change my last answer",
    "undone": "OK, your last answer is taken back; please answer again:",
    "noted": "Noted: {answer}",
    "approximately": " (about)",
    "unit_yuan": " yuan",
    "unit_years": " years",
    "unit_months": " months",
    "unit_people": " people",
    "example_yuan": "Please type an amount, e.g. 30000 or 3万.",
    "example_years": "Please type an age, e.g. 45.",
    "example_months": "Please type a number of months, e.g. 6.",
    "example_people": "Please type a number of people, e.g. 4.",
    "example_plain": "Please type a number, e.g. 3.",
    "too_big": "That number is too big to read.",
    "ambiguous": "That number can be read two ways; I will not guess.",
    "not_whole": "Please type a whole number.",
    "age_clash": "That birth date makes {counted}, but you said {age} earlier. Please check it, or tap “Not sure”; if the age was wrong, send /restart to start again.",
    "part_month": "Please type whole months; part of a month does not count (less than one month is 0).",
    "unknown_code": "No place has the code {code} (it may be an old one). Please type the county's name.",
    "pick_place": "Several places have this name. Which one?",
    "none_of_these": "None of these / not sure",
    "id_used_place": "From ID number {masked}: registered in {place}, age {age}. The number was not stored.",
    "id_county_unknown": "I cannot read a current county from this ID number (it may be an old code). Please type the county's name.",
    "stale_reset": "That question was reset; please answer the newest one.",
    "ask_cadre": "{count} questions in a row were 'not sure'. Your village cadres or the village work team know your household's category and status: ask them, then check again. Already certain:",
    "nothing_certain": "Nothing is certain yet.",
    "nothing_answered": "Nothing answered yet, so no results. Send /start to begin: a few questions give the results.",
    "declined": "【{name}】You said you want no loan, so it was not checked. Send /restart to answer again.",
    "child_offer": "{names} is for a child at school. Is a child of your household at a secondary vocational, technical or higher vocational school? Tap below to add the child.",
    "add_child": "➕ Add a child",
    "child_label": "child",
    "member_you": "You",
    "what_if": "What could change this:",
    "what_if_source": "(Policy documents: {sources})",
    "what_if_more": "Would raise the amount to {amount} ({more} more). ",
    "family_total": "Your household in all, per year (confirmed amounts only): {total} {unit}",
    "family_apart": "Also possible (not in the total):",
    "family_dates": "When:",
    "family_checklist": "What your household brings (each document once; those most programmes need first):",
    "skip": "Not sure",
    "skip_region": "Don't know / skip",
    "yes": "Yes",
    "no": "No",
    "use_id": "Use my ID number",
    "use_birth_date": "Give birth date",
    "ask_id": "Please type your 18-character ID number. It is only used for your age (and your "
    "county, if not answered yet) and never "
    "stored.",
    "ask_birth_date": "Please type your birth date, e.g. 1980-05-01.",
    "id_used": "From ID number {masked}: age {age}. The number was not stored.",
    "birth_date_used": "Birth date noted: age {age}.",
    "bad_int_range": "That number looks wrong; please type a number from {min} to {max}.",
    "bad_region": "I cannot find that place. Please type the county's name, e.g. 临猗 or 山西运城临猗, or tap “Don't know / skip”.",
    "bad_date": "Please type the date as year-month-day, e.g. 1980-05-01.",
    "bad_as_of": "I cannot check that date: only dates from {earliest} to {latest} can be checked. Please type another, or tap “Not sure” to check for today.",
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
    "verdict_ineligible": "Not eligible",
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
    "programme_card": "【{name}】\n{summary}\nWho: {who}",
    "programmes_intro": "There are {count} kinds of support:",
    "lang_set": "OK, English from now on.",
    "lang_usage": "Usage: /lang English or /lang 中文 (or en, zh).",
    "help": (
        "I check whether your household can get support.\n"
        "/start start a check\n/result see the results now\n/programmes the kinds of support\n"
        "/restart answer again from the start\n/cancel stop\n/forget delete all my data\n"
        "/lang zh 中文\n/privacy what we keep"
    ),
    "privacy": (
        "We keep: your answers (never the ID number), your language, the chat id and the time "
        "you last wrote, only to carry on the questions and show the results.\n"
        "An ID number is only used to work out your age and county, then dropped: never stored "
        "or logged.\n"
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

SKIP_WORDS: Final = frozenset(
    {"不清楚", "不知道", "跳过", "不晓得", "不懂", "skip", "not sure", "don't know", "?", "？"}
)


def say(lang: Lang, key: str, **values: object) -> str:
    """The text `key` in `lang`, with its placeholders filled."""
    template = TEXTS[lang][key]
    return template.format(**values) if values else template
