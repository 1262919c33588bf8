FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY cad cad
COPY transport transport
COPY history history
COPY dispatch dispatch
COPY callhandling callhandling
COPY service service
COPY geo geo
COPY loadtests loadtests
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["cad", "serve"]
