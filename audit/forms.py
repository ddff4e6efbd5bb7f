from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class VerifyUploadForm(FlaskForm):
    pdf = FileField(_l("PDF file"), validators=[FileRequired(_l("Choose the PDF to check."))])
