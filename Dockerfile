# The registry's application image: web (gunicorn), worker and beat run from it.
# The same Python as the lock file was resolved for.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_ENV=production
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core fonts-noto-cjk curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 fls
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir uv && uv pip install --system --no-cache -r requirements.lock
COPY . .
# collectstatic needs settings that pass the production checks; these values exist only in this build step.
RUN DJANGO_SECRET_KEY=build-only-build-only-build-only-build-only-build-only \
    DJANGO_ALLOWED_HOSTS=build DATABASE_URL=postgres://build@build/build EMAIL_URL=smtp://build:25 \
    python manage.py collectstatic --noinput
USER fls
EXPOSE 8000
CMD ["gunicorn", "fls_registry.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
