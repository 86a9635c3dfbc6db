"""Persian and English wording of Karaj planning dossiers, for the sample generator.

Templates use ``{field}`` placeholders that the generator fills (and records as
identifiers where the field is one); literal digits are written in Persian and
converted to the page's digit style. Words keep their half-space (ZWNJ), as typed.
"""

from __future__ import annotations

# (Persian, English) pairs, so an English summary can name the same people and places.
NEIGHBOURHOODS: tuple[tuple[str, str], ...] = (
    ("مهرشهر", "Mehrshahr"),
    ("گوهردشت", "Gohardasht"),
    ("عظیمیه", "Azimieh"),
    ("جهانشهر", "Jahanshahr"),
    ("باغستان", "Baghestan"),
    ("حصارک", "Hesarak"),
    ("شاهین‌ویلا", "Shahin Villa"),
    ("دهقان‌ویلا", "Dehghan Villa"),
    ("کیانمهر", "Kianmehr"),
    ("اسلام‌آباد", "Eslamabad"),
    ("حیدرآباد", "Heydarabad"),
    ("مصباح", "Mesbah"),
    ("گلشهر", "Golshahr"),
    ("شهرک اوج", "Owj Town"),
    ("رجایی‌شهر", "Rajaeeshahr"),
)

STREETS: tuple[tuple[str, str], ...] = (
    ("بلوار جمهوری اسلامی", "Jomhouri Eslami Blvd."),
    ("خیابان شهید بهشتی", "Shahid Beheshti St."),
    ("بلوار موذن", "Moazzen Blvd."),
    ("خیابان طالقانی", "Taleghani St."),
    ("بلوار ارم", "Eram Blvd."),
    ("خیابان مطهری", "Motahari St."),
    ("بلوار دانش‌آموز", "Daneshamooz Blvd."),
    ("خیابان شهید چمران", "Shahid Chamran St."),
    ("خیابان امام خمینی", "Imam Khomeini St."),
    ("بلوار کاج", "Kaj Blvd."),
    ("خیابان درختی", "Derakhti St."),
    ("بلوار ماهان", "Mahan Blvd."),
    ("خیابان بهار", "Bahar St."),
    ("خیابان فردوسی", "Ferdowsi St."),
)

ALLEYS: tuple[tuple[str, str], ...] = (
    ("کوچه لاله", "Laleh Alley"),
    ("کوچه نسترن", "Nastaran Alley"),
    ("کوچه شقایق", "Shaghayegh Alley"),
    ("کوچه یاس", "Yas Alley"),
    ("کوچه شهید رحیمی", "Shahid Rahimi Alley"),
    ("کوچه بنفشه", "Banafsheh Alley"),
    ("کوچه اقاقیا", "Aghaghia Alley"),
    ("کوچه گلستان", "Golestan Alley"),
)

MALE_NAMES: tuple[tuple[str, str], ...] = (
    ("علی", "Ali"),
    ("محمد", "Mohammad"),
    ("حسین", "Hossein"),
    ("رضا", "Reza"),
    ("مهدی", "Mehdi"),
    ("احمد", "Ahmad"),
    ("حسن", "Hasan"),
    ("مرتضی", "Morteza"),
    ("مجید", "Majid"),
    ("غلامرضا", "Gholamreza"),
    ("ابوالفضل", "Abolfazl"),
    ("سعید", "Saeed"),
    ("جواد", "Javad"),
    ("حمیدرضا", "Hamidreza"),
    ("اکبر", "Akbar"),
    ("ناصر", "Naser"),
    ("کاظم", "Kazem"),
    ("یوسف", "Yousef"),
)

FEMALE_NAMES: tuple[tuple[str, str], ...] = (
    ("فاطمه", "Fatemeh"),
    ("زهرا", "Zahra"),
    ("مریم", "Maryam"),
    ("معصومه", "Masoumeh"),
    ("لیلا", "Leila"),
    ("سمیه", "Somayeh"),
    ("طاهره", "Tahereh"),
    ("فرشته", "Fereshteh"),
    ("اعظم", "Azam"),
    ("کبری", "Kobra"),
)

SURNAMES: tuple[tuple[str, str], ...] = (
    ("رضایی", "Rezaei"),
    ("محمدی", "Mohammadi"),
    ("حسینی", "Hosseini"),
    ("احمدی", "Ahmadi"),
    ("کریمی", "Karimi"),
    ("موسوی", "Mousavi"),
    ("جعفری", "Jafari"),
    ("قاسمی", "Ghasemi"),
    ("صالحی", "Salehi"),
    ("نوری", "Nouri"),
    ("رحیمی", "Rahimi"),
    ("کاظمی", "Kazemi"),
    ("عباسی", "Abbasi"),
    ("یوسفی", "Yousefi"),
    ("شریفی", "Sharifi"),
    ("اکبری", "Akbari"),
    ("میرزایی", "Mirzaei"),
    ("طاهری", "Taheri"),
    ("فرهادی", "Farhadi"),
    ("نجفی", "Najafi"),
    ("ابراهیمی", "Ebrahimi"),
    ("کشاورز", "Keshavarz"),
    ("ملکی", "Maleki"),
)

# --- municipal letters (نامه) -------------------------------------------------

INVOCATIONS = ("بسمه تعالی", "باسمه تعالی")
LETTERHEAD = ("شهرداری کرج", "معاونت شهرسازی و معماری")
LETTERHEAD_UNITS = (
    "اداره صدور پروانه‌های ساختمانی",
    "شهرداری منطقه {region}",
    "اداره کنترل ساختمان",
    "دبیرخانه کمیسیون ماده صد",
)
LETTER_NUMBERS = ("شماره: {letter_no}", "تاریخ: {date}")
ATTACHMENT = ("پیوست: ندارد", "پیوست: دارد")
SUBJECT = "موضوع: "

ADDRESSEES = (
    "ریاست محترم اداره ثبت اسناد و املاک کرج",
    "مدیر محترم منطقه {region} شهرداری کرج",
    "دبیر محترم کمیسیون ماده صد قانون شهرداری‌ها",
    "{owner_addressed}",
    "مدیرعامل محترم شرکت آب و فاضلاب کرج",
    "رئیس محترم اداره صدور پروانه‌های ساختمانی",
)

SALUTATIONS = ("با سلام و احترام،", "سلام علیکم،", "با سلام،")

# Each letter topic: its subject line and the body sentences it draws from.
LETTER_TOPICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "inquiry": (
        "پاسخ استعلام وضعیت ملک",
        (
            "بر اساس بازدید کارشناس این منطقه در تاریخ {visit_date}، ملک مذکور دارای {floors} طبقه با زیربنای {area} متر مربع می‌باشد.",
            "کد نوسازی ملک {renovation} و کد پستی آن {postal} اعلام می‌گردد.",
            "با عنایت به ضوابط طرح تفصیلی مصوب، کاربری ملک مسکونی بوده و عرض گذر مجاور {width} متر است.",
            "ملک مذکور در طرح تعریض معبر قرار نداشته و از نظر شهرسازی منعی ندارد.",
            "مساحت عرصه طبق سند مالکیت {plot_area} متر مربع است که پس از رعایت عقب‌نشینی به {net_area} متر مربع کاهش می‌یابد.",
            "ضمناً پرونده شماره {file_no} در بایگانی این منطقه موجود است.",
        ),
    ),
    "permit_request": (
        "درخواست صدور پروانه ساختمانی",
        (
            "مالک ملک به کد ملی {nid} درخواست صدور پروانه ساختمانی برای احداث {floors} طبقه مسکونی را ارائه نموده است.",
            "نقشه‌های معماری و سازه توسط مهندس ناظر تأیید و به مهر سازمان نظام مهندسی ممهور گردیده است.",
            "لازم است قبل از صدور پروانه، مفاصاحساب عوارض نوسازی و گواهی عدم خلاف ارائه شود.",
            "ضمناً رعایت عقب‌نشینی به میزان {setback} متر در بر اصلی الزامی است.",
            "تصویر سند مالکیت و نقشه تفکیکی ملک به پلاک ثبتی {plaque} پیوست می‌باشد.",
            "پس از پرداخت عوارض متعلقه، پروانه ساختمانی صادر خواهد شد.",
        ),
    ),
    "violation": (
        "اعلام تخلف ساختمانی",
        (
            "طی بازدید مورخ {visit_date} مشخص گردید که مالک بدون اخذ مجوز نسبت به احداث بنا به مساحت {excess_area} متر مربع اقدام نموده است.",
            "ساختمان در حال احداث مازاد بر پروانه شماره {permit_no} می‌باشد و عملیات ساختمانی تا تعیین تکلیف متوقف گردید.",
            "مقتضی است پرونده جهت طرح در کمیسیون ماده صد قانون شهرداری‌ها ارسال گردد.",
            "به مالک اخطار داده شد ظرف مدت ده روز نسبت به ارائه مدارک لازم اقدام نماید.",
            "گزارش تصویری تخلف و صورت‌جلسه بازدید به پیوست تقدیم می‌گردد.",
        ),
    ),
    "completion": (
        "درخواست صدور گواهی پایان کار",
        (
            "ساختمان احداثی بر اساس پروانه شماره {permit_no} مورخ {permit_date} تکمیل گردیده است.",
            "با توجه به گزارش مهندس ناظر، عملیات ساختمانی مطابق نقشه‌های مصوب انجام شده است.",
            "صدور گواهی پایان کار منوط به پرداخت بدهی عوارض و ارائه مفاصاحساب بیمه می‌باشد.",
            "تعداد {units} واحد مسکونی و {parking} واحد پارکینگ در ساختمان پیش‌بینی شده است.",
            "کد پستی ملک {postal} و کد نوسازی آن {renovation} می‌باشد.",
        ),
    ),
}

LETTER_OPENINGS = (
    "احتراماً، بازگشت به نامه شماره {ref_no} مورخ {ref_date} در خصوص ملک واقع در {address}، به استحضار می‌رساند:",
    "احتراماً، به پیوست تصویر درخواست {owner} مالک ملک واقع در {address} به پلاک ثبتی {plaque} بخش {section} ارسال می‌گردد.",
    "احتراماً، عطف به درخواست شماره {ref_no} مورخ {ref_date} {owner} در خصوص پرونده شماره {file_no}، موارد ذیل جهت استحضار اعلام می‌گردد.",
    "احتراماً، در خصوص پرونده شماره {file_no} مربوط به پلاک ثبتی {plaque} بخش {section} واقع در {address} به اطلاع می‌رساند:",
)

LETTER_CLOSINGS = (
    "مراتب جهت استحضار و صدور دستور مقتضی ایفاد می‌گردد.",
    "خواهشمند است دستور فرمایید اقدام لازم معمول و نتیجه را به این معاونت اعلام نمایند.",
    "مراتب جهت اطلاع و اقدام لازم اعلام می‌گردد.",
)

SIGNER_TITLES = (
    "معاون شهرسازی و معماری شهرداری کرج",
    "مدیر منطقه {region} شهرداری کرج",
    "رئیس اداره صدور پروانه‌های ساختمانی",
    "سرپرست اداره کنترل ساختمان",
)

CARBON_COPIES = (
    "رونوشت: اداره صدور پروانه جهت اطلاع",
    "رونوشت: بایگانی پرونده",
    "رونوشت: {owner} جهت اطلاع",
    "رونوشت: واحد درآمد جهت محاسبه عوارض",
)

FOOTER = "نشانی: کرج، بلوار شهید بهشتی، ساختمان مرکزی شهرداری - تلفن: {phone}"

# --- building permits and permit applications (پروانه ساختمانی / فرم درخواست) -----

PERMIT_TITLE = "پروانه ساختمانی"
APPLICATION_TITLE = "فرم درخواست صدور پروانه ساختمانی"
PERMIT_NUMBERS = ("شماره پروانه: {permit_no}", "تاریخ صدور: {date}")
APPLICATION_NUMBERS = ("شماره پرونده: {file_no}", "تاریخ درخواست: {date}")

# Form rows: a section heading, then (right cell, left cell) pairs or a full-width cell.
OWNER_SECTION = "مشخصات مالک"
OWNER_ROWS: tuple[tuple[str, ...], ...] = (
    ("نام و نام خانوادگی: {owner_name}", "نام پدر: {father}"),
    ("کد ملی: {nid}", "شماره شناسنامه: {shenasname}"),
)
CONTACT_ROW = ("تلفن همراه: {mobile}", "تلفن ثابت: {phone}")
PARCEL_SECTION = "مشخصات ملک"
PARCEL_ROWS: tuple[tuple[str, ...], ...] = (
    ("پلاک ثبتی: {plaque} بخش {section}", "کد نوسازی: {renovation}"),
    ("کد پستی: {postal}", "منطقه: {region}"),
    ("نشانی: {address}",),
)
BUILDING_SECTION = "مشخصات ساختمان"
BUILDING_ROWS: tuple[tuple[str, ...], ...] = (
    ("مساحت عرصه: {plot_area} متر مربع", "زیربنای کل: {area} متر مربع"),
    ("تعداد طبقات: {floors}", "تعداد واحد: {units}"),
    ("کاربری: {use}", "عرض گذر: {width} متر"),
    ("سطح اشغال: {coverage} درصد", "تعداد پارکینگ: {parking}"),
)
USES = ("مسکونی", "مسکونی - تجاری", "تجاری", "اداری")

APPLICATION_STATEMENT = (
    "اینجانب {owner_name} فرزند {father} به کد ملی {nid} مالک ششدانگ پلاک ثبتی {plaque} بخش {section} واقع در {address}، تقاضای صدور پروانه ساختمانی جهت احداث {floors} طبقه {use} را دارم."
)
APPLICATION_NOTES = (
    "مدارک مورد نیاز شامل تصویر سند مالکیت، کارت ملی و نقشه‌های معماری به پیوست تقدیم می‌گردد.",
    "درخواست‌کننده متعهد می‌شود کلیه ضوابط و مقررات شهرسازی را رعایت نماید.",
    "در صورت وجود هرگونه معارض، مسئولیت آن بر عهده درخواست‌کننده می‌باشد.",
)

PERMIT_NOTES = (
    "این پروانه از تاریخ صدور به مدت {years} سال معتبر است و پس از انقضای مدت، تمدید آن الزامی می‌باشد.",
    "مالک موظف است قبل از شروع عملیات ساختمانی، تابلوی مشخصات پروانه را در محل نصب نماید.",
    "هرگونه تغییر در نقشه‌های مصوب بدون اخذ مجوز از شهرداری تخلف محسوب می‌شود.",
    "مسئولیت حسن اجرای عملیات ساختمانی بر عهده مهندس ناظر و مالک می‌باشد.",
    "رعایت مقررات ملی ساختمان و ضوابط طرح تفصیلی شهر کرج الزامی است.",
    "صدور این پروانه هیچ‌گونه حقی برای مالک نسبت به معابر عمومی ایجاد نمی‌نماید.",
)

PERMIT_SIGNERS = ("مهندس ناظر", "رئیس اداره صدور پروانه", "مدیر منطقه {region}")
APPLICANT_SIGNATURE = "امضای درخواست‌کننده"

# --- Article 100 commission rulings (رای کمیسیون ماده صد) -----------------------

RULING_TITLE = "رأی کمیسیون ماده صد قانون شهرداری‌ها"
RULING_SUBTITLE = "کمیسیون ماده صد شهرداری کرج - شعبه {branch}"
RULING_OFFICE = "دبیرخانه کمیسیون ماده صد"
RULING_NUMBERS = ("شماره پرونده: {file_no}", "تاریخ جلسه: {date}")
RULING_PARTIES = (
    "مشخصات مالک: {owner} فرزند {father} به کد ملی {nid}",
    "مشخصات ملک: پلاک ثبتی {plaque} بخش {section} - کد نوسازی: {renovation}",
    "نشانی ملک: {address} - کد پستی {postal}",
)
RULING_REPORT_HEADING = "گزارش شهرداری:"
RULING_VERDICT_HEADING = "رأی کمیسیون:"
RULING_STAMP = ("کمیسیون ماده صد", "شهرداری کرج")

VIOLATIONS = (
    "احداث یک طبقه مازاد بر پروانه به مساحت {excess_area} متر مربع",
    "احداث بنای بدون مجوز در حیاط به مساحت {excess_area} متر مربع",
    "تبدیل پارکینگ به واحد تجاری به مساحت {excess_area} متر مربع",
    "احداث بالکن مازاد بر تراکم به مساحت {excess_area} متر مربع",
    "تجاوز به معبر عمومی به مساحت {excess_area} متر مربع",
)

RULING_REPORT = (
    "به موجب گزارش شماره {ref_no} مورخ {ref_date} شهرداری منطقه {region}، مالک نسبت به {violation} اقدام نموده است.",
    "موضوع در بازدید مورخ {visit_date} کارشناس کمیسیون نیز تأیید گردیده است.",
    "مالک در جلسه حاضر و اظهار داشت که بنای مذکور جهت سکونت خانواده احداث شده است.",
)

RULING_VERDICTS = (
    "با توجه به محتویات پرونده، گزارش شهرداری و دفاعیات مالک، تخلف محرز است و کمیسیون به استناد تبصره ۲ ماده صد قانون شهرداری‌ها رأی به اخذ جریمه به مبلغ {amount} ریال صادر می‌نماید.",
    "نظر به اینکه بنای احداثی خارج از ضوابط فنی و بهداشتی است، کمیسیون به استناد تبصره ۱ ماده صد رأی به قلع بنای مازاد صادر می‌نماید.",
    "کمیسیون با عنایت به کاربری مسکونی ملک و رعایت اصول فنی، رأی به ابقای بنا و اخذ جریمه به مبلغ {amount} ریال صادر می‌نماید.",
)

RULING_APPEAL = "این رأی ظرف مدت ده روز از تاریخ ابلاغ قابل اعتراض در کمیسیون تجدیدنظر ماده صد می‌باشد."
RULING_MEMBERS = ("نماینده وزارت کشور", "نماینده قوه قضاییه", "نماینده شورای اسلامی شهر")

# --- English summaries -------------------------------------------------------------

EN_HEADER = (
    "Karaj Municipality",
    "Deputy for Urban Planning and Architecture",
)
EN_TITLE = "Dossier summary (English translation for the archive)"
EN_NUMBERS = ("File No. {file_no}", "Date: {date}")
EN_HISTORY_HEADING = "History"
EN_FACTS = (
    "Owner: {owner} (father's name {father}), national ID {nid}.",
    "Registration plaque {plaque}, section {section}, {neighbourhood}, Karaj (district {region}).",
    "Renovation code: {renovation}. Postal code: {postal}.",
    "Address: {address}.",
)
EN_HISTORY = (
    "The owner applied for a building permit on {ref_date} under file No. {file_no}.",
    "Building permit No. {permit_no} was issued on {permit_date} for a {floors}-storey residential building with a total floor area of {area} square metres on a plot of {plot_area} square metres.",
    "An inspection on {visit_date} found {excess_area} square metres built in excess of the permit.",
    "The case was referred to the Article 100 Commission, which imposed a fine of {amount} rials.",
    "A set-back of {setback} metres along the main street is required by the detailed plan.",
    "The completion certificate was issued after the renovation levy and the insurance clearance were paid.",
)
EN_STATUS = (
    "Status: closed.",
    "Status: awaiting documents from the owner.",
    "Status: referred to the legal department.",
)
EN_FOOTER = "Prepared by the archive unit of the Karaj Municipality, telephone {phone}."

# --- the wider generator (preset `wide`): forms, registers and label spellings ------

# Labels as clerks write them: the full label first, then the shortenings seen in
# dossiers. The second tuple is drawn only on held-out pages (samples/splits.py,
# "label:abbreviated-2"). Keys are the labels the templates above use.
LABEL_SPELLINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "پلاک ثبتی": (("پلاک ثبتی", "پلاک", "پلاک ثبتی شماره", "پلاک‌ثبتی"), ("پ.ث", "پلاک ث.")),
    "کد پستی": (("کد پستی", "کدپستی", "کد پستی ملک"), ("ک.پ", "ک پستی")),
    "کد نوسازی": (("کد نوسازی", "کدنوسازی", "شناسه نوسازی"), ("ک.ن", "کد ن.")),
    "کد ملی": (("کد ملی", "کدملی", "شماره ملی"), ("ک.م", "ش.م")),
    "شماره پرونده": (("شماره پرونده", "ش. پرونده", "شماره‌ پرونده"), ("ش.پ", "پرونده ش")),
    "شماره پروانه": (("شماره پروانه", "پروانه شماره", "شماره پروانه ساختمانی"),
                     ("ش.پروانه", "پ.ش")),
}

INSPECTION_TITLE = "صورتجلسه بازدید از ملک"
INSPECTION_NUMBERS = ("شماره: {letter_no}", "تاریخ بازدید: {date}")
# A ruled table: label in one cell, value in the next, two pairs a row.
INSPECTION_GRID: tuple[tuple[str, str, str, str], ...] = (
    ("نام مالک", "{owner_name}", "کد ملی", "{nid}"),
    ("پلاک ثبتی", "{plaque} بخش {section}", "کد نوسازی", "{renovation}"),
    ("کد پستی", "{postal}", "شماره پرونده", "{file_no}"),
    ("منطقه", "{region}", "عرض گذر", "{width} متر"),
)
# A register: a header row of labels, the values on the line below.
REGISTER_HEADS = ("پلاک ثبتی", "کد پستی", "شماره پرونده")
REGISTER_FIELDS = ("{plaque}", "{postal}", "{file_no}")
# Two ruled columns: what the inspector saw (right), what the office decided (left).
INSPECTION_COLUMNS = (
    ("شرح بازدید", (
        "در بازدید مورخ {visit_date} از ملک",
        "به پلاک ثبتی {plaque}",
        "مشخص گردید بنا مطابق نقشه است.",
        "عرض گذر {width} متر می‌باشد.",
    )),
    ("نظر کارشناس", (
        "با صدور پایان‌کار موافقت می‌شود.",
        "پرونده شماره {file_no}",
        "جهت اقدام به اداره درآمد ارجاع شود.",
        "کد پستی {postal}",
    )),
)
# Values written on the line under their label, or boxed beside it.
INSPECTION_STACKED = (("کد پستی", "{postal}"), ("کد نوسازی", "{renovation}"),
                      ("شماره پروانه", "{permit_no}"))
INSPECTION_SIGNERS = ("کارشناس بازدید", "{official}")
