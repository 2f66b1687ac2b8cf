from django.db import migrations


class Migration(migrations.Migration):
    """Letters and their templates now belong to letters: state only, no table is dropped."""

    dependencies = [
        ('letters', '0001_initial'),
        ('pathways', '0028_evaluation_moved_out'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='HistoricalLetter'),
                migrations.DeleteModel(name='HistoricalLetterTemplate'),
                migrations.DeleteModel(name='Letter'),
                migrations.DeleteModel(name='LetterTemplate'),
            ],
            database_operations=[],
        ),
    ]
