"""An import speaks its owner's language: the report's lines and the note that keeps a value it couldn't read."""

import pytest

from lte.crm.tests.test_import import imported, notes_of, problems
from lte.testing.helpers import make_user

pytestmark = pytest.mark.django_db

CSV = "first_name,last_name,phones,birthday\nAna,Ruiz,+1-800-MYFAX,circa 1980\n"


@pytest.mark.parametrize(("language", "phone", "birthday", "note_start"), [
    ("es", "teléfono", "cumpleaños", "De la importación: no se pudo leer"),
    ("pt-BR", "telefone", "aniversário", "Da importação: não foi possível ler"),
    ("fr", "téléphone", "anniversaire", "De l'import :"),
    ("de", "Telefonnummer", "Geburtstag", "Aus dem Import:"),
])
def test_the_report_and_the_kept_values_are_in_the_owners_language(language, phone, birthday, note_start):
    owner = make_user(f"import-{language}@example.com", language=language, country="US")
    job = imported(owner, CSV, name="contacts.csv")
    assert job.created == 1
    lines = " ".join(problems(job).values())
    notes = notes_of(owner)
    assert phone in lines and birthday in lines
    assert any(n.startswith(note_start) and "+1-800-MYFAX" in n and phone in n for n in notes), notes
    assert any(birthday in n and "circa 1980" in n for n in notes), notes
    assert "could not be read" not in lines + " ".join(notes)  # no English left around the words


def test_an_english_owner_reads_english():
    owner = make_user("import-en@example.com", language="en", country="US")
    job = imported(owner, CSV, name="contacts.csv")
    assert "From the import: phone “+1-800-MYFAX” could not be read." in notes_of(owner)
    assert any("birthday" in line for line in problems(job).values())
