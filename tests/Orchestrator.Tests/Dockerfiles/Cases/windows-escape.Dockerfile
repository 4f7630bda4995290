# escape=`
FROM mcr.microsoft.com/windows/servercore:ltsc2022
SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop';"]
WORKDIR C:\app
COPY app\ C:\app\
RUN Write-Host 'one' ; `
    Write-Host 'two'
ENV TOOLS=C:\tools
CMD ["C:\\app\\app.exe"]
